export { ApplyResourceUseCase } from './resources/apply-resource.use-case';
export type { ApplyResourceCommand, ApplyResourceResult } from './resources/apply-resource.use-case';
export { DeleteResourceUseCase } from './resources/delete-resource.use-case';
export {
  ResourceQueries,
  parsePageRequest,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
} from './resources/resource-queries';
export type { PageRequest } from './resources/resource-queries';
