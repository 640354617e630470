import type { Violation } from '../errors';
import { FieldPath } from './field-path';

/**
 * Keys no request body may use, at any depth: they name the prototype machinery of JavaScript objects.
 * Assigned to a plain object, `__proto__` replaces its prototype (or is dropped without a word), and
 * `constructor` / `prototype` are the way to reach shared prototypes from a nested value.
 */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

const FORBIDDEN = new Set(FORBIDDEN_KEYS);
/** Enough to say what is wrong; a body full of such keys is not worth a longer answer. */
const MAX_REPORTED = 10;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** One step from the document down to a value; paths are rendered only for what is reported. */
interface Step {
  readonly parent: Step | undefined;
  readonly key: string | number;
}

/**
 * Every forbidden key of a decoded body (JSON or YAML), with its path as violations are named
 * (`networking.inbound[0].tags.__proto__`), in the document's order, at most 10. The walk uses its own
 * stack, so a deeply nested body cannot overflow the call stack, and visits each object once (YAML
 * aliases may share or even loop).
 */
export function forbiddenKeyViolations(document: unknown): Violation[] {
  const violations: Violation[] = [];
  const seen = new Set<object>();
  const stack: { value: unknown; at: Step | undefined }[] = [{ value: document, at: undefined }];
  while (stack.length > 0 && violations.length < MAX_REPORTED) {
    const { value, at } = stack.pop()!;
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], at: { parent: at, key: i } });
      continue;
    }
    // Own keys only: JSON.parse and the YAML parser both create `__proto__` as an own property.
    const children: { value: unknown; at: Step }[] = [];
    for (const key of Object.keys(value)) {
      const step = { parent: at, key };
      if (FORBIDDEN.has(key)) violations.push({ field: render(step), message: forbiddenKeyMessage(key) });
      else children.push({ value: (value as Record<string, unknown>)[key], at: step });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return violations.slice(0, MAX_REPORTED);
}

export function forbiddenKeyMessage(key: string): string {
  return `key ${JSON.stringify(key)} is not allowed (no body may use "__proto__", "constructor" or "prototype" as a key)`;
}

function render(step: Step): string {
  const steps: (string | number)[] = [];
  for (let s: Step | undefined = step; s; s = s.parent) steps.push(s.key);
  let path = FieldPath.root;
  for (let i = steps.length - 1; i >= 0; i--) {
    const key = steps[i]!;
    path = typeof key === 'number' ? path.index(key) : IDENTIFIER.test(key) ? path.field(key) : path.key(key);
  }
  return path.toString();
}
