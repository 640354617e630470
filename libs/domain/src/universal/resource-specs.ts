import type { CaSwitchSpec, ControlPlaneInstanceSpec } from '../ca-switch/ca-switch.types';
import type { DataplaneSpec } from '../dataplane/dataplane.types';
import type { DataplaneInsightSpec } from '../insights/dataplane-insight.rules';
import type { MeshTrafficPermissionSpec } from '../mesh-traffic-permission/mesh-traffic-permission.types';
import type { MeshSpec } from '../mesh/mesh.types';
import type { ResourceType } from '../resource-types';
import type { SecretSpec } from '../secret/secret.types';

/** The spec type `parseResource` produces for each resource type (what `ResourceRecord.spec` holds). */
export interface ResourceSpecByType {
  Mesh: MeshSpec;
  Secret: SecretSpec;
  GlobalSecret: SecretSpec;
  Dataplane: DataplaneSpec;
  MeshTrafficPermission: MeshTrafficPermissionSpec;
  DataplaneInsight: DataplaneInsightSpec;
  CaSwitch: CaSwitchSpec;
  ControlPlaneInstance: ControlPlaneInstanceSpec;
}

/** The spec of one resource type: `SpecOf<'Mesh'>` is `MeshSpec`. */
export type SpecOf<T extends ResourceType> = ResourceSpecByType[T];
