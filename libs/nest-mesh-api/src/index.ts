export { MeshApiModule } from './mesh-api.module';
export { allowedMethods } from './resources/resource-routes';
export { authenticate, authorize } from './access/access-policy';
export type { Principal, AccessSettings, RequestCredentials } from './access/access-policy';
