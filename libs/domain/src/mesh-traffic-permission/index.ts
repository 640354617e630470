// MeshTrafficPermission and the traffic decisions it makes.
export type {
  MeshTrafficPermissionSpec,
  MeshTrafficPermissionRule,
  TargetRef,
  TrafficMatch,
} from './mesh-traffic-permission.types';
export {
  clientIdentityOf,
  decideTraffic,
  permissionsFor,
  permissionSelects,
  dataplanesOverPermissionLimit,
  serverInboundsOf,
} from './traffic-permission.rules';
export type {
  ClientIdentity,
  NamedPermission,
  ServerInbound,
  TrafficDecision,
} from './traffic-permission.rules';
