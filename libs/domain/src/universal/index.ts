// Reading and validating resources in the universal (YAML/JSON) format.
export { parseResource } from './parse-resource';
export type { ParsedResource } from './parse-resource';
export { toUniversal } from './to-universal';
export { storedSpecViolations } from './stored-spec.validator';
