import type { ResourceType } from '@meshtls/domain';

/**
 * Checks a spec read from a store against its type's rules: the violations (fields and rules, never
 * values), empty when it may be used. The roles give `storedSpecViolations` of `@meshtls/domain`.
 */
export type StoredSpecCheck = (
  type: ResourceType,
  spec: unknown,
) => readonly { field: string; message: string }[];

/** The reason given for a spec a `StoredSpecCheck` refused: at most a few fields, never the value. */
export function specRejectionReason(violations: readonly { field: string; message: string }[]): string {
  const fields = [...new Set(violations.map((v) => v.field || '(spec)'))];
  const shown = fields.slice(0, 5).join(', ');
  return `spec does not validate at ${shown}${fields.length > 5 ? ` and ${fields.length - 5} more` : ''}`;
}
