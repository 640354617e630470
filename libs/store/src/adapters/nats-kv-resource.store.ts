import { ErrorCode, type JetStreamClient, type KV, type KvEntry, type NatsConnection } from 'nats';
import type { ResourceKey, ResourceRecord, ResourceType } from '@meshtls/domain';
import { ResourceAlreadyExistsError, ResourceConflictError, ResourceNotFoundError } from '@meshtls/domain';
import { randomUUID } from 'node:crypto';
import { TimeoutError, type Clock } from '@meshtls/util';
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
  /** Deadline of each JetStream call (default 5000 ms). */
  readonly requestTimeoutMs?: number;
  /**
   * How long a write is retried while JetStream cannot take it (default 15000 ms): a stream leader being
   * elected after a node died, NATS restarting, the connection moving to another node.
   */
  readonly writeRetryMs?: number;
}

/** What a KV value holds; the key and the version (the KV revision) are not repeated in it. */
interface StoredValue {
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

/** JetStream's "wrong last sequence": the optimistic-concurrency check of a KV write failed. */
const WRONG_LAST_SEQUENCE = 10071;
const DELETE_ATTEMPTS = 5;
/** JetStream's "temporarily unavailable" (e.g. no stream leader while one is elected). */
const JS_TEMPORARILY_UNAVAILABLE = 10008;
const TRANSIENT_CODES = new Set<string>([
  ErrorCode.NoResponders, // no JetStream to answer (leaderless, or the server restarting)
  ErrorCode.Timeout,
  ErrorCode.Disconnect,
  ErrorCode.JetStream408RequestTimeout,
]);

/**
 * Whether a failed KV call may succeed if asked again shortly: JetStream leaderless or away, a request
 * unanswered, the connection between servers. Conflicts and everything else are final.
 */
export function isTransientKvError(err: unknown): boolean {
  if (isWrongLastSequence(err)) return false;
  const e = err as { code?: unknown; api_error?: { code?: number; err_code?: number } } | undefined;
  if (typeof e?.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  return e?.api_error?.err_code === JS_TEMPORARILY_UNAVAILABLE || e?.api_error?.code === 503;
}

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
    private readonly writeRetryMs: number,
  ) {
    this.watcher = new KvBucketWatcher(nc, kv, (entry, live) => this.onEntry(entry, live));
  }

  /** Opens (or creates) the bucket and resolves once the local cache holds its current content. */
  static async connect(options: NatsKvResourceStoreOptions): Promise<NatsKvResourceStore> {
    const js: JetStreamClient = options.nc.jetstream({ timeout: options.requestTimeoutMs ?? 5000 });
    const kv = await js.views.kv(options.bucket, { history: 1, replicas: options.replicas ?? 1 });
    const store = new NatsKvResourceStore(options.nc, kv, options.clock, options.writeRetryMs ?? 15_000);
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
      writeId: randomUUID(),
    };
    const revision = await this.retried(`create ${kvKey}`, async (unanswered) => {
      try {
        return await this.kv.create(kvKey, encode(value));
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        const mine = unanswered ? await this.ownWrite(kvKey, value.writeId!) : undefined;
        if (mine !== undefined) return mine;
        throw new ResourceAlreadyExistsError(keyOf(key));
      }
    });
    return this.applyOwnWrite(kvKey, key, value, revision);
  }

  async update(key: ResourceKey, spec: unknown, expectedVersion: number): Promise<ResourceRecord> {
    const kvKey = encodeKvKey(key);
    const creationTime = await this.retried(`read ${kvKey}`, () =>
      this.creationTimeAt(kvKey, key, expectedVersion),
    );
    const now = this.clock.now().toISOString();
    const value: StoredValue = {
      format: 1,
      spec: copySpec(spec) ?? null,
      creationTime,
      modificationTime: now,
      writeId: randomUUID(),
    };
    const revision = await this.retried(`update ${kvKey}`, async (unanswered) => {
      try {
        return await this.kv.update(kvKey, encode(value), expectedVersion);
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        const mine = unanswered ? await this.ownWrite(kvKey, value.writeId!) : undefined;
        if (mine !== undefined) return mine;
        // Someone wrote (or deleted) in between: tell which, from the server's current state.
        const current = await this.currentEntry(kvKey);
        if (current === undefined) throw new ResourceNotFoundError(keyOf(key));
        throw new ResourceConflictError(keyOf(key));
      }
    });
    return this.applyOwnWrite(kvKey, key, value, revision);
  }

  async delete(key: ResourceKey, expectedVersion?: number): Promise<void> {
    const kvKey = encodeKvKey(key);
    await this.retried(`delete ${kvKey}`, async (unanswered) => {
      for (let attempt = 1; ; attempt++) {
        const current = await this.currentEntry(kvKey);
        // Gone after an attempt of ours went unanswered: that attempt deleted it (or someone else did,
        // which leaves the caller with the same outcome).
        if (current === undefined && unanswered) return;
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
    });
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

  /**
   * Runs `op` again while it fails with a transient error, until `writeRetryMs` has passed; `op` is told
   * whether an earlier attempt went unanswered (it may have been applied). Past the deadline: a
   * TimeoutError naming the operation (a 503 to API clients).
   */
  private async retried<T>(what: string, op: (unanswered: boolean) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.writeRetryMs;
    let unanswered = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await op(unanswered);
      } catch (err) {
        if (!isTransientKvError(err)) throw err;
        unanswered = true;
        const wait = Math.min(100 * 2 ** attempt, 1_000) * (0.75 + Math.random() / 2);
        if (Date.now() + wait > deadline) {
          throw new TimeoutError(
            `resource store unavailable: ${what} not done within ${this.writeRetryMs} ms (${(err as Error).message})`,
          );
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** The revision of `kvKey` if its current value is the one written by `writeId`. */
  private async ownWrite(kvKey: string, writeId: string): Promise<number | undefined> {
    const current = await this.currentEntry(kvKey);
    return current !== undefined && decode(current).writeId === writeId ? current.revision : undefined;
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
