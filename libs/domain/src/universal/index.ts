// Reading and validating resources in the universal (YAML/JSON) format.
export { parseResource, parseResourceAt, TargetMessages } from './parse-resource';
export type { ParsedResource } from './parse-resource';
export { assertUniversalFormat, toKumaUniversal, toUniversal } from './to-universal';
export { storedSpecViolations } from './stored-spec.validator';
export {
  LABELS_FIELD,
  LabelKey,
  STANDALONE_ZONE,
  immutableLabelViolations,
  labelKeyProblems,
  labelValueProblems,
  labelsOf,
  readLabels,
  userLabelsOf,
  workloadLabelProblem,
} from './labels';
export type { Labels } from './labels';
export { kriOf, resourceKeyOfKri } from './kri';
