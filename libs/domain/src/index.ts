export {
  ResourceType,
  RESOURCE_DESCRIPTORS,
  ALL_RESOURCE_TYPES,
  isResourceType,
  descriptorForCollection,
  descriptorForAlias,
} from './resource-types';
export type { ResourceDescriptor } from './resource-types';
export { formatKey } from './resource';
export type { ResourceKey, ResourceMeta, ResourceRecord } from './resource';
export {
  ValidationError,
  ResourceNotFoundError,
  ResourceAlreadyExistsError,
  ResourceConflictError,
} from './errors';
export type { Violation } from './errors';
