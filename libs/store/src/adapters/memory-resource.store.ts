import type { ResourceKey, ResourceRecord, ResourceType } from '@meshtls/domain';
import {
  formatKey,
  ResourceAlreadyExistsError,
  ResourceConflictError,
  ResourceNotFoundError,
} from '@meshtls/domain';
import type { Clock } from '@meshtls/util';
import type { ListOptions, ListResult, ResourceChange, ResourceStore } from '../ports/resource.store';
import { ChangeListeners, copyRecord, copySpec, keyOf, makeRecord, pageOf } from './resource-records';

/**
 * Resources in a Map, for unit tests and the in-memory standalone mode. Versions come from one counter
 * for the whole store, so a key deleted and created again never reuses a version. Watchers are called
 * synchronously after each write.
 */
export class MemoryResourceStore implements ResourceStore {
  private readonly records = new Map<string, ResourceRecord>();
  private readonly listeners = new ChangeListeners();
  private lastVersion = 0;

  constructor(private readonly clock: Clock) {}

  async get(key: ResourceKey): Promise<ResourceRecord | undefined> {
    const record = this.records.get(formatKey(key));
    return record && copyRecord(record);
  }

  async list(type: ResourceType, options?: ListOptions): Promise<ListResult> {
    return pageOf(this.records.values(), type, options);
  }

  async create(key: ResourceKey, spec: unknown): Promise<ResourceRecord> {
    const id = formatKey(key);
    if (this.records.has(id)) throw new ResourceAlreadyExistsError(keyOf(key));
    const now = this.clock.now().toISOString();
    return this.write(id, makeRecord(key, copySpec(spec), ++this.lastVersion, now, now));
  }

  async update(key: ResourceKey, spec: unknown, expectedVersion: number): Promise<ResourceRecord> {
    const id = formatKey(key);
    const current = this.records.get(id);
    if (current === undefined) throw new ResourceNotFoundError(keyOf(key));
    if (current.meta.version !== expectedVersion) throw new ResourceConflictError(keyOf(key));
    const now = this.clock.now().toISOString();
    const record = makeRecord(key, copySpec(spec), ++this.lastVersion, current.meta.creationTime, now);
    return this.write(id, record);
  }

  async delete(key: ResourceKey, expectedVersion?: number): Promise<void> {
    const id = formatKey(key);
    const current = this.records.get(id);
    if (current === undefined) throw new ResourceNotFoundError(keyOf(key));
    if (expectedVersion !== undefined && current.meta.version !== expectedVersion) {
      throw new ResourceConflictError(keyOf(key));
    }
    this.records.delete(id);
    this.listeners.emit({ kind: 'delete', key: keyOf(key), version: ++this.lastVersion });
  }

  watch(listener: (change: ResourceChange) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Reads are never behind the writes: nothing to wait for. */
  async caughtUp(): Promise<void> {}

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private write(id: string, record: ResourceRecord): ResourceRecord {
    this.records.set(id, record);
    this.listeners.emit({ kind: 'upsert', record: copyRecord(record) });
    return copyRecord(record);
  }
}
