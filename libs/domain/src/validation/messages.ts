/** Messages shared by several validators, worded as Kuma words them. */
export const Messages = {
  cannotBeEmpty: 'cannot be empty',
  mustBeDefined: 'must be defined',
  hasToBeDefined: 'has to be defined',
  unknownField: 'unknown field',
  unknownFieldIgnored: 'unknown field, ignored (not stored)',
  mustBeObject: 'must be an object',
  mustBeArray: 'must be an array',
  mustBeString: 'must be a string',
  mustBeNumber: 'must be a number',
  mustBeInteger: 'must be an integer',
  mustBeBoolean: 'must be a boolean',
  mustNotBeSet: 'must not be set',
  mustBeGreaterThanZero: 'must be greater than 0',
  validFormat: 'has to be a valid format',
  validBase64: 'must be a valid base64 string',
} as const;

/** Kuma's wording for an enumerated field holding another value: `"mode" must be one of ["STRICT", "PERMISSIVE"]`. */
export function mustBeOneOf(field: string, allowed: readonly string[]): string {
  return `${JSON.stringify(field)} must be one of [${allowed.map((v) => JSON.stringify(v)).join(', ')}]`;
}

/** Kuma's wording for a string longer than allowed. */
export function cannotBeLongerThan(max: number): string {
  return `cannot be longer than ${max} characters`;
}

/** Kuma's wording for a number outside an inclusive range. */
export function mustBeInRange(min: number, max: number): string {
  return `must be in inclusive range [${min}, ${max}]`;
}
