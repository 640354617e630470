import type { ResourceKey, ResourceRecord, ResourceType } from '@meshtls/domain';
import type { ListOptions, ListResult, ResourceChange } from '../ports/resource.store';

/**
 * A record with only the key fields the key has: global resources carry no `mesh` property at all, so
 * every adapter returns the same shape.
 */
export function makeRecord(
  key: ResourceKey,
  spec: unknown,
  version: number,
  creationTime: string,
  modificationTime: string,
): ResourceRecord {
  const meta =
    key.mesh === undefined
      ? { type: key.type, name: key.name, version, creationTime, modificationTime }
      : { type: key.type, mesh: key.mesh, name: key.name, version, creationTime, modificationTime };
  return { meta, spec };
}

/** Only the key part of a key-like value (a record's meta, say). */
export function keyOf(key: ResourceKey): ResourceKey {
  return key.mesh === undefined
    ? { type: key.type, name: key.name }
    : { type: key.type, mesh: key.mesh, name: key.name };
}

/**
 * Specs are stored as JSON by the persistent adapters; the memory adapter copies them the same way so a
 * caller never shares (or mutates) what is stored, and `undefined` fields vanish in every adapter alike.
 */
export function copySpec<T>(spec: T): T {
  return spec === undefined ? spec : (JSON.parse(JSON.stringify(spec)) as T);
}

/** A record whose spec is a copy of `record`'s (see copySpec). */
export function copyRecord(record: ResourceRecord): ResourceRecord {
  return { meta: record.meta, spec: copySpec(record.spec) };
}

/** Order of list(): by mesh (global resources have none), then by name; plain code-unit order. */
export function compareRecords(a: ResourceRecord, b: ResourceRecord): number {
  const ma = a.meta.mesh ?? '';
  const mb = b.meta.mesh ?? '';
  if (ma !== mb) return ma < mb ? -1 : 1;
  return a.meta.name < b.meta.name ? -1 : a.meta.name > b.meta.name ? 1 : 0;
}

/** Filters `records` to one type (and mesh), orders them and cuts the page, of copies (see copyRecord). */
export function pageOf(
  records: Iterable<ResourceRecord>,
  type: ResourceType,
  options: ListOptions = {},
): ListResult {
  const matching: ResourceRecord[] = [];
  for (const r of records) {
    if (r.meta.type === type && (options.mesh === undefined || r.meta.mesh === options.mesh))
      matching.push(r);
  }
  matching.sort(compareRecords);
  const offset = Math.max(0, options.offset ?? 0);
  const end = options.limit === undefined ? undefined : offset + Math.max(0, options.limit);
  return { total: matching.length, items: matching.slice(offset, end).map(copyRecord) };
}

/**
 * The listeners of watch(): each change reaches every listener; one listener failing neither stops the
 * others nor the writer.
 */
export class ChangeListeners {
  private readonly listeners = new Set<(change: ResourceChange) => void>();

  add(listener: (change: ResourceChange) => void): () => void {
    // Wrapped so the same function registered twice is two watches, each stopped on its own.
    const entry = (change: ResourceChange) => listener(change);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  emit(change: ResourceChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // A watcher's bug must not turn a committed write into a failed one.
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }

  get size(): number {
    return this.listeners.size;
  }
}
