// Resource kinds, keys, the errors a resource operation raises, and durations as resources write them.
export {
  ResourceType,
  RESOURCE_DESCRIPTORS,
  ALL_RESOURCE_TYPES,
  API_RESOURCE_TYPES,
  WRITABLE_RESOURCE_TYPES,
  isResourceType,
  isApiResourceType,
  descriptorForCollection,
  descriptorForAlias,
} from './resource-types';
export type { ApiResourceType, ResourceDescriptor } from './resource-types';
export { formatKey } from './resource';
export type { ResourceKey, ResourceRecord } from './resource';
export {
  ValidationError,
  ResourceNotFoundError,
  ResourceAlreadyExistsError,
  ResourceConflictError,
  BadRequestError,
} from './errors';
export type { Violation } from './errors';
export { parseDuration } from './duration';

// The universal format, validation, each resource and the rules about them: each folder's index lists
// its public names.
export * from './universal';
export * from './validation';
export * from './mesh';
export * from './secret';
export * from './dataplane';
export * from './mesh-traffic-permission';
export * from './identity';
export * from './rotation';
export * from './insights';
export * from './ca-switch';
