import type { FieldPath } from '../validation/field-path';
import type { ValidationContext } from '../validation/validation-context';

/**
 * How deep a value stored as given (a Kuma `conf` struct, a section not acted on) may nest. Far more
 * than any Kuma Mesh needs; deeper values could not be written to the store or read back (serialising
 * them recurses once per level).
 */
export const MAX_STORED_DEPTH = 32;

export const nestingMessage = `is nested deeper than ${MAX_STORED_DEPTH} levels`;

/** The depth of a JSON value (a scalar is 0), counted without recursion and stopping past `limit`. */
export function depthOf(value: unknown, limit = MAX_STORED_DEPTH): number {
  let deepest = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    deepest = Math.max(deepest, level);
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) stack.push({ value: child, depth: level });
  }
  return deepest;
}

/** Refuses, on `path`, a value kept as given that nests deeper than MAX_STORED_DEPTH; true when it is fine. */
export function checkStoredDepth(ctx: ValidationContext, value: unknown, path: FieldPath): boolean {
  if (depthOf(value) <= MAX_STORED_DEPTH) return true;
  ctx.add(path, nestingMessage);
  return false;
}
