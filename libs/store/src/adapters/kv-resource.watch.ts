import type { KvEntry } from 'nats';
import { formatKey, type ResourceKey } from '@meshtls/domain';
import type { ResourceChange } from '../ports/resource.store';
import type { RejectionObserver } from '@meshtls/util';
import type { StoredSpecCheck } from '../ports/rejected-values';
import { decodeKvKey } from './kv-key.codec';
import type { KvResourceCache } from './kv-resource.cache';
import { decodeStoredValue } from './kv-value.codec';
import { copyRecord, makeRecord } from './resource-records';

/**
 * The KV resource store's side of the bucket watch (`kv-bucket.watcher.ts`): each entry is decoded into
 * the cache, a value or key that does not decode is reported to the rejection observer (and settled once
 * written or deleted again), and live changes go to the store's watchers.
 */
export class KvResourceWatch {
  private readonly listeners = new Set<{ since: number; fn: (change: ResourceChange) => void }>();

  constructor(
    private readonly cache: KvResourceCache,
    private readonly checkSpec: StoredSpecCheck | undefined,
    private readonly rejections: RejectionObserver | undefined,
  ) {}

  watch(listener: (change: ResourceChange) => void): () => void {
    const entry = { since: this.cache.highestRevision, fn: listener };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Drops every watcher. */
  clear(): void {
    this.listeners.clear();
  }

  onEntry(entry: KvEntry, live: boolean): void {
    const key = decodeKvKey(entry.key);
    if (key === undefined) {
      // Nothing but resources is written to the bucket: a key naming none is reported, never read.
      if (entry.operation === 'PUT') this.reject(entry.key, 'unknown', 'key names no resource');
      else this.rejections?.settled('kv', entry.key);
      return;
    }
    let change: ResourceChange;
    if (entry.operation === 'PUT') {
      const decoded = decodeStoredValue(entry.value, key.type, this.checkSpec);
      if (!decoded.ok) {
        // Skipped, and the key reads as absent until it is written or deleted; watchers are not told, so
        // a poisoned value cannot end what was built on the last good one (a dataplane's stream, say).
        if (this.cache.reject(entry.key, entry.revision))
          this.reject(formatKey(key), key.type, decoded.reason);
        return;
      }
      const { value } = decoded;
      const record = makeRecord(key, value.spec, entry.revision, value.creationTime, value.modificationTime);
      this.settle(key, this.cache.put(entry.key, record));
      change = { kind: 'upsert', record };
    } else {
      this.settle(key, this.cache.deleted(entry.key, entry.revision));
      change = { kind: 'delete', key, version: entry.revision };
    }
    if (live) this.emit(change, entry.revision);
  }

  private reject(key: string, type: string, reason: string): void {
    this.rejections?.rejected({ source: 'kv', key, type, reason });
  }

  /** `wasRejected`: what a cache change returned; the key then held a value that did not decode. */
  settle(key: ResourceKey, wasRejected: boolean): void {
    if (wasRejected) this.rejections?.settled('kv', formatKey(key));
  }

  private emit(change: ResourceChange, revision: number): void {
    for (const listener of [...this.listeners]) {
      if (revision <= listener.since) continue;
      try {
        listener.fn(
          change.kind === 'upsert' ? { kind: 'upsert', record: copyRecord(change.record) } : change,
        );
      } catch {
        // A watcher's bug must not stop the watch that feeds the cache.
      }
    }
  }
}
