import type { ResourceKey, ResourceRecord, ResourceType } from '@meshtls/domain';
import type { ListOptions, ListResult, ResourceChange, ResourceStore } from '@meshtls/store';

/**
 * The store as the REST API reads it: each get and list first waits until the store holds every write
 * acknowledged before it (`ResourceStore.caughtUp`), so a client that wrote through one replica finds its
 * write through any other right after, as behind a load balancer. The dataplane paths read the store
 * directly: they follow its changes and need no such wait.
 */
export class CaughtUpStore implements ResourceStore {
  constructor(private readonly inner: ResourceStore) {}

  async get(key: ResourceKey): Promise<ResourceRecord | undefined> {
    await this.inner.caughtUp();
    return this.inner.get(key);
  }

  async list(type: ResourceType, options?: ListOptions): Promise<ListResult> {
    await this.inner.caughtUp();
    return this.inner.list(type, options);
  }

  create(key: ResourceKey, spec: unknown): Promise<ResourceRecord> {
    return this.inner.create(key, spec);
  }

  update(key: ResourceKey, spec: unknown, expectedVersion: number): Promise<ResourceRecord> {
    return this.inner.update(key, spec, expectedVersion);
  }

  delete(key: ResourceKey, expectedVersion?: number): Promise<void> {
    return this.inner.delete(key, expectedVersion);
  }

  watch(listener: (change: ResourceChange) => void): () => void {
    return this.inner.watch(listener);
  }

  caughtUp(): Promise<void> {
    return this.inner.caughtUp();
  }

  /** The inner store belongs to whoever made it: closing this view leaves it open. */
  async close(): Promise<void> {}
}
