import type { Violation } from '../errors';
import { ValidationError } from '../errors';
import { FieldPath } from './field-path';
import { Messages, mustBeOneOf } from './messages';

/** A decoded JSON/YAML object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** `undefined` and `null` both mean "not given": YAML writes an empty key as null. */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Collects every violation of one document, so a user sees all problems at once. Readers check the JSON
 * type of a value and return it typed, or `undefined` (absent, or wrong type with a violation recorded):
 * validators parse and check in one pass and never concatenate paths by hand.
 */
export class ValidationContext {
  private readonly found: Violation[] = [];
  private readonly noted: Violation[] = [];

  get violations(): readonly Violation[] {
    return this.found;
  }

  get hasViolations(): boolean {
    return this.found.length > 0;
  }

  add(path: FieldPath, message: string): void {
    this.found.push({ field: path.toString(), message });
  }

  /** What was accepted but is worth telling the user (a field ignored, a setting stored but not acted on). */
  get notes(): readonly Violation[] {
    return this.noted;
  }

  note(path: FieldPath, message: string): void {
    this.noted.push({ field: path.toString(), message });
  }

  /**
   * An object whose keys outside `knownFields` are accepted and left out, each noted: how Kuma reads
   * protobuf JSON, where an unknown field is skipped rather than refused.
   */
  lenientObject(value: unknown, path: FieldPath, knownFields: readonly string[]): JsonObject | undefined {
    const obj = this.map(value, path);
    if (obj !== undefined) {
      for (const key of Object.keys(obj)) {
        if (!knownFields.includes(key)) {
          this.note(path.field(key), Messages.unknownFieldIgnored);
        }
      }
    }
    return obj;
  }

  /** Throws a ValidationError carrying every violation found, if any. */
  throwIfInvalid(): void {
    if (this.hasViolations) {
      throw new ValidationError([...this.found]);
    }
  }

  /**
   * An object whose keys must all be in `knownFields`; every other key is reported as an unknown field,
   * so a typo is never silently dropped.
   */
  object(value: unknown, path: FieldPath, knownFields: readonly string[]): JsonObject | undefined {
    const obj = this.map(value, path);
    if (obj !== undefined) {
      for (const key of Object.keys(obj)) {
        if (!knownFields.includes(key)) {
          this.add(path.field(key), Messages.unknownField);
        }
      }
    }
    return obj;
  }

  /** Like `object`, but an absent value is reported as `must be defined`. */
  requiredObject(value: unknown, path: FieldPath, knownFields: readonly string[]): JsonObject | undefined {
    if (isAbsent(value)) {
      this.add(path, Messages.mustBeDefined);
      return undefined;
    }
    return this.object(value, path, knownFields);
  }

  /** An object with free-form keys (tags). */
  map(value: unknown, path: FieldPath): JsonObject | undefined {
    return this.typed(value, path, isJsonObject, Messages.mustBeObject);
  }

  array(value: unknown, path: FieldPath): readonly unknown[] | undefined {
    return this.typed(value, path, Array.isArray, Messages.mustBeArray);
  }

  string(value: unknown, path: FieldPath): string | undefined {
    return this.typed(value, path, (v) => typeof v === 'string', Messages.mustBeString);
  }

  number(value: unknown, path: FieldPath): number | undefined {
    return this.typed(value, path, (v) => typeof v === 'number' && Number.isFinite(v), Messages.mustBeNumber);
  }

  integer(value: unknown, path: FieldPath): number | undefined {
    const n = this.number(value, path);
    if (n !== undefined && !Number.isInteger(n)) {
      this.add(path, Messages.mustBeInteger);
      return undefined;
    }
    return n;
  }

  boolean(value: unknown, path: FieldPath): boolean | undefined {
    return this.typed(value, path, (v) => typeof v === 'boolean', Messages.mustBeBoolean);
  }

  /** A string that must be given and non-empty; Kuma says `cannot be empty` for both cases. */
  requiredString(
    value: unknown,
    path: FieldPath,
    message: string = Messages.cannotBeEmpty,
  ): string | undefined {
    const text = this.string(value, path);
    if (isAbsent(value) || text === '') {
      this.add(path, message);
      return undefined;
    }
    return text;
  }

  /** One of a closed set of strings; the message names the key as the user wrote it. */
  oneOf<T extends string>(value: unknown, path: FieldPath, allowed: readonly T[]): T | undefined {
    const text = this.string(value, path);
    const isAllowed = (v: string) => (allowed as readonly string[]).includes(v);
    return this.check(text, path, isAllowed, mustBeOneOf(lastSegment(path), allowed)) as T | undefined;
  }

  /**
   * Passes on a value already read when it meets `ok`; otherwise reports `message` at `path` and gives
   * `undefined`. An `undefined` value (absent, or already reported) passes through unchecked, so checks
   * chain and only the first failing one is reported.
   */
  check<T>(value: T | undefined, path: FieldPath, ok: (v: T) => boolean, message: string): T | undefined {
    if (value === undefined || ok(value)) {
      return value;
    }
    this.add(path, message);
    return undefined;
  }

  private typed<T>(
    value: unknown,
    path: FieldPath,
    guard: (v: unknown) => boolean,
    message: string,
  ): T | undefined {
    if (isAbsent(value)) {
      return undefined;
    }
    if (!guard(value)) {
      this.add(path, message);
      return undefined;
    }
    return value as T;
  }
}

function lastSegment(path: FieldPath): string {
  const text = path.toString();
  return text.slice(text.lastIndexOf('.') + 1);
}

/** Drops keys whose value is undefined, so a parsed spec holds only what the user gave. */
export function compact<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/** Keeps the items that parsed; used where a violation has already been recorded for the others. */
export function definedItems<T>(items: readonly (T | undefined)[]): T[] {
  return items.filter((item): item is T => item !== undefined);
}
