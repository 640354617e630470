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
  /** Only resources whose name contains this text (Kuma's `?name=`), case-sensitive. */
  readonly nameContains?: string;
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
    if (!page.nameContains) return this.store.list(type, { mesh, offset: page.offset, limit: page.size });
    // As Kuma's stores: every name read, those matching counted and paged.
    const { items } = await this.store.list(type, { mesh });
    const matching = items.filter((r) => r.meta.name.includes(page.nameContains!));
    return { total: matching.length, items: matching.slice(page.offset, page.offset + page.size) };
  }
}

/** Kuma's words for a bad page request. */
export const PageMessages = {
  invalidPageSize: 'Invalid page size',
  invalidFormat: 'invalid format',
  notPositive: 'must be greater than 0',
  tooLarge: (size: number) => `invalid page size of ${size}. Maximum page size is ${MAX_PAGE_SIZE}`,
  invalidOffset: (reason: string) => `invalid: invalid offset: ${reason}`,
} as const;

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);

/**
 * Reads `offset`, `size` and `name` from a query string as Kuma does: a bad `size` is Kuma's "Invalid page size"
 * naming the field; a bad `offset` is the store's "invalid offset" (Kuma reads it as a Go integer).
 */
export function parsePageRequest(query: { offset?: unknown; size?: unknown; name?: unknown }): PageRequest {
  const page = { size: parsePageSize(first(query.size)), offset: parseOffset(first(query.offset)) };
  const name = first(query.name);
  return typeof name === 'string' && name !== '' ? { ...page, nameContains: name } : page;
}

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function parsePageSize(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  const n = parseGoInt(value);
  if (typeof n !== 'bigint') throw pageSizeError(PageMessages.invalidFormat);
  if (n <= 0n) throw pageSizeError(PageMessages.notPositive);
  if (n > BigInt(MAX_PAGE_SIZE)) throw pageSizeError(PageMessages.tooLarge(Number(n)));
  return Number(n);
}

function parseOffset(value: unknown): number {
  if (value === undefined || value === '') return 0;
  const n = parseGoInt(value);
  if (typeof n !== 'bigint') throw new ValidationError([], PageMessages.invalidOffset(n));
  if (n < 0n) throw new ValidationError([], PageMessages.invalidOffset('must be non-negative'));
  return Number(n > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : n);
}

function pageSizeError(reason: string): ValidationError {
  return new ValidationError([{ field: 'size', message: reason }], PageMessages.invalidPageSize);
}

/** A base-10 integer as Go's `strconv.Atoi` reads one, or the reason it gives for refusing it. */
function parseGoInt(value: unknown): bigint | string {
  const text = typeof value === 'string' ? value : String(value);
  if (!/^[+-]?\d+$/.test(text)) return `strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`;
  const n = BigInt(text);
  if (n > MAX_INT64 || n < MIN_INT64)
    return `strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`;
  return n;
}
