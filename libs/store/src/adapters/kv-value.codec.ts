import { z } from 'zod';
import type { ResourceType } from '@meshtls/domain';
import { specRejectionReason, type StoredSpecCheck } from '../ports/rejected-values';

/** What a KV value holds; the key and the version (the KV revision) are not repeated in it. */
export interface StoredValue {
  readonly format: 1;
  readonly spec: unknown;
  readonly creationTime: string;
  readonly modificationTime: string;
  /**
   * Names the write that stored this value: a write retried after an unanswered attempt tells "my
   * first attempt was applied" from "someone else wrote" by it. Absent in values written before it.
   */
  readonly writeId?: string;
}

const storedValueSchema = z.object({
  format: z.literal(1),
  spec: z.unknown(),
  creationTime: z.iso.datetime(),
  modificationTime: z.iso.datetime(),
  writeId: z.string().optional(),
});

export type DecodedValue =
  | { readonly ok: true; readonly value: StoredValue }
  | { readonly ok: false; readonly reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeStoredValue(value: StoredValue): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/**
 * A KV value of a resource of `type`, checked as a whole: JSON, the envelope, then the spec by `checkSpec`
 * when given. The reason of a refusal names what is wrong, never the value (JSON.parse's own message would
 * quote it).
 */
export function decodeStoredValue(
  data: Uint8Array,
  type: ResourceType,
  checkSpec?: StoredSpecCheck,
): DecodedValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
  const envelope = storedValueSchema.safeParse(parsed);
  if (!envelope.success) {
    const fields = [...new Set(envelope.error.issues.map((i) => i.path.join('.') || '(value)'))];
    return { ok: false, reason: `value is not a stored resource (wrong or missing ${fields.join(', ')})` };
  }
  const value = envelope.data as StoredValue;
  const violations = checkSpec?.(type, value.spec) ?? [];
  if (violations.length > 0) return { ok: false, reason: specRejectionReason(violations) };
  return { ok: true, value };
}
