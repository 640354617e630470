import type { ResourceRecord } from '@meshtls/domain';

/**
 * A cached key: its record; a tombstone (`record` undefined) left by this client's own delete; or a
 * value that did not decode (`rejected`), which reads as absent until the key is written or deleted.
 */
interface Slot {
  readonly revision: number;
  readonly record: ResourceRecord | undefined;
  readonly rejected?: true;
}

/**
 * The local view of a KV bucket, fed by two sources: this client's own writes (applied at once, so a read
 * right after a write sees it) and the bucket watch (changes by anyone, in revision order). Each key keeps
 * the highest revision seen, so a watch event that lags behind an own write never rolls the key back, and
 * a tombstone stops a lagging PUT from bringing back what this client deleted.
 *
 * The methods that change a key return true when the key held a rejected value until then (it is settled).
 */
export class KvResourceCache {
  private readonly slots = new Map<string, Slot>();
  /** Highest revision seen from either source. */
  private highest = 0;

  get(kvKey: string): ResourceRecord | undefined {
    return this.slots.get(kvKey)?.record;
  }

  revisionOf(kvKey: string): number | undefined {
    return this.slots.get(kvKey)?.revision;
  }

  get highestRevision(): number {
    return this.highest;
  }

  *records(): Iterable<ResourceRecord> {
    for (const slot of this.slots.values()) if (slot.record !== undefined) yield slot.record;
  }

  /** A write of this client or a PUT from the watch. */
  put(kvKey: string, record: ResourceRecord): boolean {
    return this.apply(kvKey, { revision: record.meta.version, record });
  }

  /**
   * This client deleted the key at (at least) `revision`: a tombstone until the watch reports the delete.
   */
  tombstone(kvKey: string, revision: number): boolean {
    return this.apply(kvKey, { revision, record: undefined });
  }

  /**
   * The watch delivered a value of the key at `revision` that did not decode: the key reads as absent.
   * False when the key already holds something newer (the rejected value was superseded).
   */
  reject(kvKey: string, revision: number): boolean {
    const before = this.slots.get(kvKey);
    if (before?.rejected && before.revision === revision) return false;
    this.apply(kvKey, { revision, record: undefined, rejected: true });
    return this.slots.get(kvKey) !== before;
  }

  /** The watch reported a delete or purge at `revision`. */
  deleted(kvKey: string, revision: number): boolean {
    const slot = this.slots.get(kvKey);
    this.highest = Math.max(this.highest, revision);
    if (slot !== undefined && slot.revision > revision) return false;
    this.slots.delete(kvKey);
    return slot?.rejected === true;
  }

  private apply(kvKey: string, next: Slot): boolean {
    this.highest = Math.max(this.highest, next.revision);
    const slot = this.slots.get(kvKey);
    if (slot !== undefined && slot.revision > next.revision) return false;
    this.slots.set(kvKey, next);
    return slot?.rejected === true && next.rejected !== true;
  }
}
