import type { JetStreamClient, KV, KvEntry, NatsConnection } from 'nats';
import type { ResourceKey, ResourceRecord, ResourceType } from '@meshtls/domain';
import { ResourceAlreadyExistsError, ResourceConflictError, ResourceNotFoundError } from '@meshtls/domain';
import type { Clock } from '@meshtls/util';
import type { ListOptions, ListResult, ResourceChange, ResourceStore } from '../ports/resource.store';
import { KvBucketWatcher } from './kv-bucket.watcher';
import { decodeKvKey, encodeKvKey } from './kv-key.codec';
import { KvResourceCache } from './kv-resource.cache';
import { copySpec, keyOf, makeRecord, pageOf } from './resource-records';

export interface NatsKvResourceStoreOptions {
  /** A connection from `connectNats`; the store does not close it. */
  readonly nc: NatsConnection;
  /** KV bucket name, e.g. `meshtls-resources`; created when missing. */
  readonly bucket: string;
  /** JetStream replicas of the bucket (1 on a single server, 3 on a three-node cluster). */
  readonly replicas?: number;
  readonly clock: Clock;
  /** Deadline of each JetStream call (default 5000 ms): how long a write waits while NATS is away. */
  readonly requestTimeoutMs?: number;
}

/** What a KV value holds; the key and the version (the KV revision) are not repeated in it. */
interface StoredValue {
  readonly format: 1;
  readonly spec: unknown;
  readonly creationTime: string;
  readonly modificationTime: string;
}

/** JetStream's "wrong last sequence": the optimistic-concurrency check of a KV write failed. */
const WRONG_LAST_SEQUENCE = 10071;
const DELETE_ATTEMPTS = 5;

/**
 * Resources in a NATS JetStream KV bucket: the durable store of distributed mode. The version of a
 * resource is its KV revision; create and update are conditional writes, so concurrent writers never lose
 * an update. Keys are encoded by `kv-key.codec.ts`.
 *
 * Reads (get, list) come from a local cache fed by a watch over the whole bucket and by this client's own
 * writes: a client always reads its own writes, and sees other replicas' writes as fast as NATS delivers
 * them. Writes always check against the server, never against the cache.
 */
export class NatsKvResourceStore implements ResourceStore {
  private readonly cache = new KvResourceCache();
  private readonly listeners = new Set<{ since: number; fn: (change: ResourceChange) => void }>();
  private readonly watcher: KvBucketWatcher;

  private constructor(
    nc: NatsConnection,
    private readonly kv: KV,
    private readonly clock: Clock,
  ) {
    this.watcher = new KvBucketWatcher(nc, kv, (entry, live) => this.onEntry(entry, live));
  }

  /** Opens (or creates) the bucket and resolves once the local cache holds its current content. */
  static async connect(options: NatsKvResourceStoreOptions): Promise<NatsKvResourceStore> {
    const js: JetStreamClient = options.nc.jetstream({ timeout: options.requestTimeoutMs ?? 5000 });
    const kv = await js.views.kv(options.bucket, { history: 1, replicas: options.replicas ?? 1 });
    const store = new NatsKvResourceStore(options.nc, kv, options.clock);
    await store.watcher.start();
    return store;
  }

  async get(key: ResourceKey): Promise<ResourceRecord | undefined> {
    const record = this.cache.get(encodeKvKey(key));
    return record && { meta: record.meta, spec: copySpec(record.spec) };
  }

  async list(type: ResourceType, options?: ListOptions): Promise<ListResult> {
    const page = pageOf(this.cache.records(), type, options);
    return { total: page.total, items: page.items.map((r) => ({ meta: r.meta, spec: copySpec(r.spec) })) };
  }

  async create(key: ResourceKey, spec: unknown): Promise<ResourceRecord> {
    const kvKey = encodeKvKey(key);
    const now = this.clock.now().toISOString();
    const value: StoredValue = {
      format: 1,
      spec: copySpec(spec) ?? null,
      creationTime: now,
      modificationTime: now,
    };
    let revision: number;
    try {
      revision = await this.kv.create(kvKey, encode(value));
    } catch (err) {
      if (isWrongLastSequence(err)) throw new ResourceAlreadyExistsError(keyOf(key));
      throw err;
    }
    return this.applyOwnWrite(kvKey, key, value, revision);
  }

  async update(key: ResourceKey, spec: unknown, expectedVersion: number): Promise<ResourceRecord> {
    const kvKey = encodeKvKey(key);
    const creationTime = await this.creationTimeAt(kvKey, key, expectedVersion);
    const now = this.clock.now().toISOString();
    const value: StoredValue = {
      format: 1,
      spec: copySpec(spec) ?? null,
      creationTime,
      modificationTime: now,
    };
    let revision: number;
    try {
      revision = await this.kv.update(kvKey, encode(value), expectedVersion);
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
      // Someone wrote (or deleted) in between: tell which, from the server's current state.
      const current = await this.currentEntry(kvKey);
      if (current === undefined) throw new ResourceNotFoundError(keyOf(key));
      throw new ResourceConflictError(keyOf(key));
    }
    return this.applyOwnWrite(kvKey, key, value, revision);
  }

  async delete(key: ResourceKey, expectedVersion?: number): Promise<void> {
    const kvKey = encodeKvKey(key);
    for (let attempt = 1; ; attempt++) {
      const current = await this.currentEntry(kvKey);
      if (current === undefined) throw new ResourceNotFoundError(keyOf(key));
      if (expectedVersion !== undefined && current.revision !== expectedVersion) {
        throw new ResourceConflictError(keyOf(key));
      }
      try {
        await this.kv.delete(kvKey, { previousSeq: current.revision });
        // The delete marker's own revision is not returned; it is above the one just deleted.
        this.cache.tombstone(kvKey, current.revision + 1);
        return;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        // Without an expected version the caller wants whatever is current gone: read again and retry.
        if (expectedVersion !== undefined || attempt >= DELETE_ATTEMPTS)
          throw new ResourceConflictError(keyOf(key));
      }
    }
  }

  watch(listener: (change: ResourceChange) => void): () => void {
    const entry = { since: this.cache.highestRevision, fn: listener };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.watcher.stop();
  }

  private applyOwnWrite(
    kvKey: string,
    key: ResourceKey,
    value: StoredValue,
    revision: number,
  ): ResourceRecord {
    const record = makeRecord(key, value.spec, revision, value.creationTime, value.modificationTime);
    this.cache.put(kvKey, record);
    return { meta: record.meta, spec: copySpec(record.spec) };
  }

  /** The creation time to keep, after checking that `expectedVersion` is current (cache first, then server). */
  private async creationTimeAt(kvKey: string, key: ResourceKey, expectedVersion: number): Promise<string> {
    const cached = this.cache.get(kvKey);
    if (cached !== undefined && cached.meta.version === expectedVersion) return cached.meta.creationTime;
    const current = await this.currentEntry(kvKey);
    if (current === undefined) throw new ResourceNotFoundError(keyOf(key));
    if (current.revision !== expectedVersion) throw new ResourceConflictError(keyOf(key));
    return decode(current).creationTime;
  }

  /** The live entry of a key on the server, or undefined when it is missing or deleted. */
  private async currentEntry(kvKey: string): Promise<KvEntry | undefined> {
    const entry = await this.kv.get(kvKey);
    return entry !== null && entry.operation === 'PUT' ? entry : undefined;
  }

  private onEntry(entry: KvEntry, live: boolean): void {
    const key = decodeKvKey(entry.key);
    if (key === undefined) return;
    let change: ResourceChange;
    if (entry.operation === 'PUT') {
      const value = decode(entry);
      const record = makeRecord(key, value.spec, entry.revision, value.creationTime, value.modificationTime);
      this.cache.put(entry.key, record);
      change = { kind: 'upsert', record };
    } else {
      this.cache.deleted(entry.key, entry.revision);
      change = { kind: 'delete', key, version: entry.revision };
    }
    if (live) this.emit(change, entry.revision);
  }

  private emit(change: ResourceChange, revision: number): void {
    for (const listener of [...this.listeners]) {
      if (revision <= listener.since) continue;
      try {
        listener.fn(
          change.kind === 'upsert'
            ? { kind: 'upsert', record: { ...change.record, spec: copySpec(change.record.spec) } }
            : change,
        );
      } catch {
        // A watcher's bug must not stop the watch that feeds the cache.
      }
    }
  }
}

function encode(value: StoredValue): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function decode(entry: KvEntry): StoredValue {
  return entry.json<StoredValue>();
}

function isWrongLastSequence(err: unknown): boolean {
  const apiError = (err as { api_error?: { err_code?: number } } | undefined)?.api_error;
  return apiError?.err_code === WRONG_LAST_SEQUENCE;
}
