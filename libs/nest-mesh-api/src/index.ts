// The mesh-api role's Nest modules (HTTP API, dataplane endpoint) from the environment, and its routes.
export { meshApiModules } from './mesh-api.role';
export { allowedMethods } from './resources/resource-routes';
