// MeshTrafficPermission and the traffic decisions it makes.
export type { MeshTrafficPermissionSpec } from './mesh-traffic-permission.types';
export {
  clientIdentityOf,
  decideTraffic,
  permissionsFor,
  permissionSelects,
  dataplanesOverPermissionLimit,
} from './traffic-permission.rules';
export type { NamedPermission } from './traffic-permission.rules';
