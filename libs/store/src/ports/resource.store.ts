import type { ResourceKey, ResourceRecord, ResourceType } from '@meshtls/domain';

export interface ListOptions {
  /** Only resources of this mesh (mesh-scoped types); all meshes when omitted. */
  readonly mesh?: string;
  readonly offset?: number;
  /** Page size; all when omitted. */
  readonly limit?: number;
}

export interface ListResult {
  /** How many match, regardless of the page. */
  readonly total: number;
  /** The page, ordered by mesh then name. */
  readonly items: readonly ResourceRecord[];
}

export type ResourceChange =
  | { readonly kind: 'upsert'; readonly record: ResourceRecord }
  | { readonly kind: 'delete'; readonly key: ResourceKey; readonly version: number };

/**
 * Durable resources with optimistic concurrency. Every adapter (memory, embedded SQLite, NATS JetStream
 * KV) behaves the same; `resource-store.contract.ts` is the shared test every adapter runs.
 *
 * Errors (from `@meshtls/domain`): `ResourceAlreadyExistsError` on create of an existing key,
 * `ResourceNotFoundError` on update/delete of a missing one, `ResourceConflictError` when
 * `expectedVersion` is not the current version.
 */
export interface ResourceStore {
  get(key: ResourceKey): Promise<ResourceRecord | undefined>;
  list(type: ResourceType, options?: ListOptions): Promise<ListResult>;
  create(key: ResourceKey, spec: unknown): Promise<ResourceRecord>;
  update(key: ResourceKey, spec: unknown, expectedVersion: number): Promise<ResourceRecord>;
  /** Deletes; with `expectedVersion`, only if it is still the current version. */
  delete(key: ResourceKey, expectedVersion?: number): Promise<void>;
  /**
   * Calls `listener` for changes made after the call, by this client or any other (another replica
   * writing to the same NATS bucket), in version order. A key's latest state is always delivered; a
   * version superseded before it was delivered may be skipped (a NATS KV bucket keeps one revision per
   * key), so a listener must act on the state it is told, not count changes. Returns a function that
   * stops the watch.
   */
  watch(listener: (change: ResourceChange) => void): () => void;
  /**
   * Resolves once every write acknowledged before the call, by any client, can be read here: what an API
   * read awaits, so a resource written through one replica is found through another right after. Stores
   * whose reads are never behind resolve at once; a replicated store waits a bounded time and, when the
   * server cannot be reached, lets reads go on from what it holds.
   */
  caughtUp(): Promise<void>;
  close(): Promise<void>;
}
