import { ErrorCode, type JetStreamManager } from 'nats';
import type { ResourceKey } from '@meshtls/domain';
import type { StoredSpecCheck } from '../ports/rejected-values';
import { decodeStoredValue, type StoredValue } from './kv-value.codec';

/** The header of a KV message that marks a delete (`DEL`) or purge (`PURGE`). */
const KV_OPERATION_HEADER = 'KV-Operation';

/** The last message of a key, as its stream leader has it. */
export interface ServerEntry {
  readonly revision: number;
  /** Undefined for a delete or purge marker, and for a value that does not decode (`rejected`). */
  readonly value: StoredValue | undefined;
  /** The value is there but does not decode: it reads as absent, and a create replaces it. */
  readonly rejected?: true;
}

/**
 * The last message of a key (a value or a delete marker), or undefined when the stream has none. Asked
 * of the stream leader, not with the KV's direct get: a direct get may be answered by a follower that has
 * not applied the latest writes yet, and the checks made after a failed conditional write need the state
 * that write was checked against.
 */
export async function leaderEntry(
  jsm: JetStreamManager,
  bucket: string,
  kvKey: string,
  key: ResourceKey,
  checkSpec: StoredSpecCheck | undefined,
): Promise<ServerEntry | undefined> {
  try {
    const sm = await jsm.streams.getMessage(`KV_${bucket}`, {
      last_by_subj: `$KV.${bucket}.${kvKey}`,
    });
    const operation = sm.header.get(KV_OPERATION_HEADER);
    if (operation === 'DEL' || operation === 'PURGE') return { revision: sm.seq, value: undefined };
    const decoded = decodeStoredValue(sm.data, key.type, checkSpec);
    return decoded.ok
      ? { revision: sm.seq, value: decoded.value }
      : { revision: sm.seq, value: undefined, rejected: true };
  } catch (err) {
    if ((err as { code?: unknown }).code === ErrorCode.JetStream404NoMessages) return undefined;
    throw err;
  }
}
