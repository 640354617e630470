// The validation toolkit the resource validators share: field paths, the violation collector, names, tags.
export { FieldPath } from './field-path';
export { forbiddenKeyViolations } from './forbidden-keys';
export { ValidationContext } from './validation-context';
export { NameLimits, isValidResourceName, validateResourceName } from './resource-name.validator';
export { SERVICE_TAG } from './tags.validator';
export type { Tags } from './tags.validator';
