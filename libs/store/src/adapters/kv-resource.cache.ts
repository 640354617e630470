import type { ResourceRecord } from '@meshtls/domain';

/** A cached key: its record, or a tombstone (`record` undefined) left by this client's own delete. */
interface Slot {
  readonly revision: number;
  readonly record: ResourceRecord | undefined;
}

/**
 * The local view of a KV bucket, fed by two sources: this client's own writes (applied at once, so a read
 * right after a write sees it) and the bucket watch (changes by anyone, in revision order). Each key keeps
 * the highest revision seen, so a watch event that lags behind an own write never rolls the key back, and
 * a tombstone stops a lagging PUT from bringing back what this client deleted.
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
  put(kvKey: string, record: ResourceRecord): void {
    this.apply(kvKey, record.meta.version, record);
  }

  /**
   * This client deleted the key at (at least) `revision`: a tombstone until the watch reports the delete.
   */
  tombstone(kvKey: string, revision: number): void {
    this.apply(kvKey, revision, undefined);
  }

  /** The watch reported a delete or purge at `revision`. */
  deleted(kvKey: string, revision: number): void {
    const slot = this.slots.get(kvKey);
    this.highest = Math.max(this.highest, revision);
    if (slot === undefined || slot.revision <= revision) this.slots.delete(kvKey);
  }

  private apply(kvKey: string, revision: number, record: ResourceRecord | undefined): void {
    this.highest = Math.max(this.highest, revision);
    const slot = this.slots.get(kvKey);
    if (slot !== undefined && slot.revision > revision) return;
    this.slots.set(kvKey, { revision, record });
  }
}
