import {
  ResourceNotFoundError,
  ValidationError,
  type ResourceKey,
  type ResourceRecord,
  type ResourceType,
} from '@meshtls/domain';
import type { ListResult, ResourceStore } from '@meshtls/store';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  readonly offset: number;
  readonly size: number;
}

/** Reads for the API: one resource, or a page of a collection. */
export class ResourceQueries {
  constructor(private readonly store: ResourceStore) {}

  async get(key: ResourceKey): Promise<ResourceRecord> {
    const record = await this.store.get(key);
    if (!record) throw new ResourceNotFoundError(key);
    return record;
  }

  async list(type: ResourceType, mesh: string | undefined, page: PageRequest): Promise<ListResult> {
    return this.store.list(type, { mesh, offset: page.offset, limit: page.size });
  }
}

/** Reads `offset` and `size` from a query string; bad values are a field error, not a silent default. */
export function parsePageRequest(query: { offset?: unknown; size?: unknown }): PageRequest {
  const violations: { field: string; message: string }[] = [];
  const offset = parseNonNegative(query.offset, 0);
  const size = parseNonNegative(query.size, DEFAULT_PAGE_SIZE);
  if (offset === undefined) violations.push({ field: 'offset', message: 'must be a non-negative integer' });
  if (size === undefined || size === 0 || size > MAX_PAGE_SIZE) {
    violations.push({ field: 'size', message: `must be an integer between 1 and ${MAX_PAGE_SIZE}` });
  }
  if (violations.length > 0) throw new ValidationError(violations, 'Invalid pagination');
  return { offset: offset as number, size: size as number };
}

function parseNonNegative(value: unknown, fallback: number): number | undefined {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) return undefined;
  return Number(value);
}
