// The mesh-api role's Nest modules (HTTP API, dataplane endpoint), its config and its routes.
export { MeshApiModule } from './mesh-api.module';
export { allowedMethods } from './resources/resource-routes';
export { DataplaneEndpointModule } from './dataplanes/dataplanes.module';
export { loadDpServerConfig } from './dataplanes/dp-server.config';
