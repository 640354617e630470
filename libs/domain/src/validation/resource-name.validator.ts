import { FieldPath } from './field-path';
import { cannotBeLongerThan } from './messages';
import { ValidationContext } from './validation-context';

/** A lowercase RFC 1123 subdomain, as Kuma requires for resource names. */
const IDENTIFIER_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kuma's message for a name outside IDENTIFIER_PATTERN. */
export const INVALID_NAME_MESSAGE =
  "invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

/** Name length limits: a mesh name ends up in SPIFFE IDs and DNS labels, other names in store keys. */
export const NameLimits = {
  mesh: 63,
  resource: 253,
} as const;

/**
 * Checks a resource name (or a reference to one) and reports the first problem only, as Kuma does:
 * empty, then too long, then invalid characters.
 */
export function validateResourceName(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
  maxLength: number,
): string | undefined {
  const name = ctx.requiredString(value, path);
  const short = ctx.check(name, path, (n) => n.length <= maxLength, cannotBeLongerThan(maxLength));
  return ctx.check(short, path, (n) => IDENTIFIER_PATTERN.test(n), INVALID_NAME_MESSAGE);
}

/** True when a string is a valid resource name of at most `maxLength` characters. */
export function isValidResourceName(name: string, maxLength: number = NameLimits.resource): boolean {
  return name.length > 0 && name.length <= maxLength && IDENTIFIER_PATTERN.test(name);
}
