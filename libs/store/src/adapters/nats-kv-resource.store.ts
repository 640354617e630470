import type { JetStreamClient, JetStreamManager, KV, NatsConnection } from 'nats';
import type { ResourceKey, ResourceRecord, ResourceType } from '@meshtls/domain';
import { ResourceAlreadyExistsError, ResourceConflictError, ResourceNotFoundError } from '@meshtls/domain';
import { randomUUID } from 'node:crypto';
import type { Clock, RejectionObserver } from '@meshtls/util';
import type { ListOptions, ListResult, ResourceChange, ResourceStore } from '../ports/resource.store';
import type { StoredSpecCheck } from '../ports/rejected-values';
import { KvBucketWatcher } from './kv-bucket.watcher';
import { encodeKvKey } from './kv-key.codec';
import { leaderEntry, type ServerEntry } from './kv-leader-entry';
import { KvResourceCache } from './kv-resource.cache';
import { KvResourceWatch } from './kv-resource.watch';
import { encodeStoredValue, type StoredValue } from './kv-value.codec';
import { isWrongLastSequence } from './nats-kv-errors';
import { retryKvWrite, type WriteAttempt } from './kv-write-retry';
import { copyRecord, copySpec, keyOf, makeRecord, pageOf } from './resource-records';
import type { NatsKvResourceStoreOptions } from './nats-kv-resource.store.options';

/** See `writeRetryMs`: two elections of the stream leader after a request timeout. */
const DEFAULT_WRITE_RETRY_MS = 30_000;
const DELETE_ATTEMPTS = 5;
/** How long `caughtUp` waits for the watch: it delivers in milliseconds; past this, reads go on. */
const CATCH_UP_MS = 2_000;

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
  private readonly resourceWatch: KvResourceWatch;
  private readonly watcher: KvBucketWatcher;
  /** The catch-up request the calls to `caughtUp` made since the last one went out will share. */
  private nextCatchUp: Promise<void> | undefined;

  private constructor(
    nc: NatsConnection,
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly bucket: string,
    private readonly clock: Clock,
    private readonly writeRetryMs: number,
    private readonly checkSpec: StoredSpecCheck | undefined,
    rejections: RejectionObserver | undefined,
  ) {
    this.resourceWatch = new KvResourceWatch(this.cache, checkSpec, rejections);
    this.watcher = new KvBucketWatcher(nc, kv, (entry, live) => this.resourceWatch.onEntry(entry, live));
  }

  /** Opens (or creates) the bucket and resolves once the local cache holds its current content. */
  static async connect(options: NatsKvResourceStoreOptions): Promise<NatsKvResourceStore> {
    const js: JetStreamClient = options.nc.jetstream({ timeout: options.requestTimeoutMs ?? 5000 });
    const kv = await js.views.kv(options.bucket, { history: 1, replicas: options.replicas ?? 1 });
    const jsm = await js.jetstreamManager(false);
    const store = new NatsKvResourceStore(
      options.nc,
      kv,
      jsm,
      options.bucket,
      options.clock,
      options.writeRetryMs ?? DEFAULT_WRITE_RETRY_MS,
      options.checkSpec,
      options.rejections,
    );
    await store.watcher.start();
    return store;
  }

  async get(key: ResourceKey): Promise<ResourceRecord | undefined> {
    const record = this.cache.get(encodeKvKey(key));
    return record && copyRecord(record);
  }

  async list(type: ResourceType, options?: ListOptions): Promise<ListResult> {
    return pageOf(this.cache.records(), type, options);
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
    const revision = await this.retried(`create ${kvKey}`, async (attempt) => {
      try {
        return await attempt.send(() => this.kv.create(kvKey, encodeStoredValue(value)));
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        const mine = await this.resolveOwnWrite(attempt, kvKey, key, value);
        if (mine !== undefined) return mine;
        // A value that does not decode reads as absent: creating the resource replaces it.
        const current = await this.leaderEntry(kvKey, key);
        if (!current?.rejected) throw new ResourceAlreadyExistsError(keyOf(key));
        try {
          return await attempt.send(() => this.kv.update(kvKey, encodeStoredValue(value), current.revision));
        } catch (replaceErr) {
          // Replaced by another writer first (a retry after an unanswered attempt settles its own above).
          if (isWrongLastSequence(replaceErr)) throw new ResourceAlreadyExistsError(keyOf(key));
          throw replaceErr;
        }
      }
    });
    return this.applyOwnWrite(kvKey, key, value, revision);
  }

  async update(key: ResourceKey, spec: unknown, expectedVersion: number): Promise<ResourceRecord> {
    const kvKey = encodeKvKey(key);
    // Built once, on the first attempt that gets past the read: every attempt sends the same value and id.
    let value: StoredValue | undefined;
    const revision = await this.retried(`update ${kvKey}`, async (attempt) => {
      value ??= {
        format: 1,
        spec: copySpec(spec) ?? null,
        creationTime: await this.creationTimeAt(kvKey, key, expectedVersion),
        modificationTime: this.clock.now().toISOString(),
        writeId: randomUUID(),
      };
      const sent = value;
      try {
        return await attempt.send(() => this.kv.update(kvKey, encodeStoredValue(sent), expectedVersion));
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        const mine = await this.resolveOwnWrite(attempt, kvKey, key, sent);
        if (mine !== undefined) return mine;
        // Someone wrote (or deleted) in between: tell which, from the leader's current state.
        if ((await this.liveEntry(kvKey, key)) === undefined) throw new ResourceNotFoundError(keyOf(key));
        throw new ResourceConflictError(keyOf(key));
      }
    });
    return this.applyOwnWrite(kvKey, key, value!, revision);
  }

  /**
   * Deletes `key` (only at `expectedVersion` when given). After an attempt whose delete was sent and went
   * unanswered, finding the key gone counts as done: that attempt may well have removed it, and whoever
   * did, the caller's intent holds (with `history: 1` a delete marker does not say who wrote it). Finding
   * it gone when no delete of ours can have been applied (earlier attempts failed before sending, or
   * JetStream refused them) stays a ResourceNotFoundError. After an unanswered delete that did apply, a
   * key created again meanwhile is a ResourceConflictError with `expectedVersion`, and is deleted in turn
   * without: the same outcome as a delete made just after that create.
   */
  async delete(key: ResourceKey, expectedVersion?: number): Promise<void> {
    const kvKey = encodeKvKey(key);
    await this.retried(`delete ${kvKey}`, async (attempt) => {
      for (let n = 1; ; n++) {
        const current = await this.leaderEntry(kvKey, key);
        // A value that does not decode is deleted like any other: deleting is how it is cleared.
        if (current?.value === undefined && !current?.rejected) {
          if (!attempt.ambiguous) throw new ResourceNotFoundError(keyOf(key));
          if (current !== undefined) this.settle(key, this.cache.tombstone(kvKey, current.revision));
          return;
        }
        if (expectedVersion !== undefined && current.revision !== expectedVersion) {
          throw new ResourceConflictError(keyOf(key));
        }
        try {
          await attempt.send(() => this.kv.delete(kvKey, { previousSeq: current.revision }));
          // The delete marker's own revision is not returned; it is above the one just deleted.
          this.settle(key, this.cache.tombstone(kvKey, current.revision + 1));
          return;
        } catch (err) {
          if (!isWrongLastSequence(err)) throw err;
          // Without an expected version the caller wants whatever is current gone: read again and retry.
          if (expectedVersion !== undefined || n >= DELETE_ATTEMPTS)
            throw new ResourceConflictError(keyOf(key));
        }
      }
    });
  }

  watch(listener: (change: ResourceChange) => void): () => void {
    return this.resourceWatch.watch(listener);
  }

  /**
   * The stream's last sequence, as JetStream has it now, then the watch's delivery of it (at most
   * CATCH_UP_MS). Unreachable JetStream: reads go on from the cache, as they would without the call.
   *
   * Calls made together (an API read fanning out over a page) share one request: it goes out after all of
   * them, so it covers every write acknowledged before any of them. A call made while a request is out
   * waits for the next one.
   */
  caughtUp(): Promise<void> {
    this.nextCatchUp ??= Promise.resolve().then(() => {
      this.nextCatchUp = undefined;
      return this.catchUp();
    });
    return this.nextCatchUp;
  }

  private async catchUp(): Promise<void> {
    let last: number;
    try {
      last = (await this.jsm.streams.info(`KV_${this.bucket}`)).state.last_seq;
    } catch {
      return;
    }
    await this.watcher.reached(last, CATCH_UP_MS);
  }

  async close(): Promise<void> {
    this.resourceWatch.clear();
    this.watcher.stop();
  }

  private applyOwnWrite(
    kvKey: string,
    key: ResourceKey,
    value: StoredValue,
    revision: number,
  ): ResourceRecord {
    const record = makeRecord(key, value.spec, revision, value.creationTime, value.modificationTime);
    this.settle(key, this.cache.put(kvKey, record));
    return copyRecord(record);
  }

  /** The creation time to keep, after checking that `expectedVersion` is current (cache first, then leader). */
  private async creationTimeAt(kvKey: string, key: ResourceKey, expectedVersion: number): Promise<string> {
    const cached = this.cache.get(kvKey);
    if (cached !== undefined && cached.meta.version === expectedVersion) return cached.meta.creationTime;
    const current = await this.liveEntry(kvKey, key);
    if (current === undefined) throw new ResourceNotFoundError(keyOf(key));
    if (current.revision !== expectedVersion) throw new ResourceConflictError(keyOf(key));
    return current.value.creationTime;
  }

  private retried<T>(what: string, op: (attempt: WriteAttempt) => Promise<T>): Promise<T> {
    return retryKvWrite(what, this.writeRetryMs, op);
  }

  /**
   * After a write failed JetStream's "wrong last sequence" check: the revision of `value` if it is what
   * the key holds now because an earlier, unanswered attempt of this same write was applied. Undefined
   * when no attempt can have been applied, or the key holds another write (a genuine conflict).
   */
  private async resolveOwnWrite(
    attempt: WriteAttempt,
    kvKey: string,
    key: ResourceKey,
    value: StoredValue,
  ): Promise<number | undefined> {
    if (!attempt.ambiguous || value.writeId === undefined) return undefined;
    const current = await this.leaderEntry(kvKey, key);
    return current?.value?.writeId === value.writeId ? current.revision : undefined;
  }

  /** The live value of a key on the leader, or undefined when it is missing or deleted. */
  private async liveEntry(
    kvKey: string,
    key: ResourceKey,
  ): Promise<{ revision: number; value: StoredValue } | undefined> {
    const entry = await this.leaderEntry(kvKey, key);
    return entry?.value === undefined ? undefined : { revision: entry.revision, value: entry.value };
  }

  /** The last message of a key on the stream leader (see `kv-leader-entry.ts`). */
  private leaderEntry(kvKey: string, key: ResourceKey): Promise<ServerEntry | undefined> {
    return leaderEntry(this.jsm, this.bucket, kvKey, key, this.checkSpec);
  }

  private settle(key: ResourceKey, wasRejected: boolean): void {
    this.resourceWatch.settle(key, wasRejected);
  }
}
