export { MeshApiModule } from './mesh-api.module';
export { allowedMethods } from './resources/resource-routes';
export { authenticate, authorize } from './access/access-policy';
export type { Principal, AccessSettings, RequestCredentials } from './access/access-policy';
export { DataplaneEndpointModule } from './dataplanes/dataplanes.module';
export { loadDpServerConfig } from './dataplanes/dp-server.config';
export type { DpServerConfig } from './dataplanes/dp-server.config';
