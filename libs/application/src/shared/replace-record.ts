import {
  ResourceAlreadyExistsError,
  ResourceConflictError,
  ResourceNotFoundError,
  type ResourceKey,
} from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';

/**
 * Creates or replaces a record whatever its version: for a record only its writer writes (a replica's own
 * report), where a version changed meanwhile can only be the writer's own earlier write arriving late.
 * Tried three times.
 */
export async function replaceRecord(store: ResourceStore, key: ResourceKey, spec: unknown): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.get(key);
    try {
      if (current) await store.update(key, spec, current.meta.version);
      else await store.create(key, spec);
      return;
    } catch (error) {
      const raced =
        error instanceof ResourceConflictError ||
        error instanceof ResourceNotFoundError ||
        error instanceof ResourceAlreadyExistsError;
      if (!raced || attempt >= 3) throw error;
    }
  }
}
