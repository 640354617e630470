import { ApiCause, ApiError, ConnectionError } from './cli-errors';
import { isRecord } from './json.util';

/** A resource in the universal format (`type`, `name`, optional `mesh`, then type-specific fields). */
export type UniversalDoc = Record<string, unknown> & { type?: unknown; name?: unknown; mesh?: unknown };

/** One page of a collection, as the API returns it. */
export interface ListPage {
  readonly total: number;
  readonly items: UniversalDoc[];
  readonly next: string | null;
}

export interface ApiClientOptions {
  /** e.g. `http://127.0.0.1:5681`; may carry a path prefix (`https://lb/mesh-api`). */
  readonly baseUrl: string;
  readonly token?: string;
  readonly timeoutMs: number;
}

export interface PutResult {
  readonly created: boolean;
  readonly warnings: readonly string[];
}

/** Upper bound on pages followed, so a server whose `next` never ends cannot hang the CLI. */
const MAX_PAGES = 10_000;

/**
 * A small client of the Kuma-compatible REST API. Every failure is an `ApiError` (an HTTP error answer)
 * or a `ConnectionError` (no answer), never a bare fetch error.
 */
export class ApiClient {
  private readonly base: URL;

  constructor(private readonly options: ApiClientOptions) {
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  }

  /** The absolute URL of an API path such as `/meshes/default` (kept under the base's own path). */
  urlFor(pathAndQuery: string): string {
    return new URL(pathAndQuery.replace(/^\/+/, ''), this.base).toString();
  }

  async get(path: string): Promise<UniversalDoc> {
    const body = await this.request('GET', path);
    if (!isRecord(body)) throw new ApiError(200, `the control plane answered GET ${path} without a resource`);
    return body as UniversalDoc;
  }

  async listPage(collection: string, page: { offset?: number; size?: number }): Promise<ListPage> {
    const query = new URLSearchParams();
    if (page.offset !== undefined) query.set('offset', String(page.offset));
    if (page.size !== undefined) query.set('size', String(page.size));
    const qs = query.toString();
    const join = collection.includes('?') ? '&' : '?';
    return toListPage(await this.request('GET', qs ? `${collection}${join}${qs}` : collection));
  }

  /**
   * Every item of a collection, following `next`. Only the path and query of `next` are used, resolved
   * against our base URL: behind a load balancer the server may name a host we cannot (or must not, with
   * our token) reach.
   */
  async listAll(collection: string, pageSize: number): Promise<ListPage> {
    let page = await this.listPage(collection, { size: pageSize });
    const items = [...page.items];
    const seen = new Set<string>();
    for (let n = 1; page.next && n < MAX_PAGES; n++) {
      const next = relativeToBase(page.next, this.base);
      if (seen.has(next)) break;
      seen.add(next);
      page = toListPage(await this.request('GET', next));
      items.push(...page.items);
    }
    return { total: page.total, items, next: null };
  }

  async put(path: string, doc: UniversalDoc): Promise<PutResult> {
    const { status, body } = await this.send('PUT', path, doc);
    const warnings = isRecord(body) && Array.isArray(body.warnings) ? body.warnings.map(String) : [];
    return { created: status === 201, warnings };
  }

  async delete(path: string): Promise<void> {
    await this.request('DELETE', path);
  }

  private async request(method: string, path: string): Promise<unknown> {
    return (await this.send(method, path)).body;
  }

  private async send(
    method: string,
    path: string,
    payload?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const url = this.urlFor(path);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const reason = describeFetchFailure(err, this.options.timeoutMs);
      throw new ConnectionError(this.options.baseUrl.replace(/\/+$/, ''), reason, { cause: err });
    }
    const body = parseBody(text);
    if (!response.ok) throw toApiError(response, body, text);
    return { status: response.status, body };
  }
}

function relativeToBase(next: string, base: URL): string {
  const parsed = new URL(next, base);
  const basePath = base.pathname;
  // `next` names the API path from the server's point of view; drop our own prefix if it repeats it.
  const path = parsed.pathname.startsWith(basePath)
    ? parsed.pathname.slice(basePath.length)
    : parsed.pathname;
  return `${path}${parsed.search}`;
}

function toListPage(body: unknown): ListPage {
  if (!isRecord(body) || !Array.isArray(body.items)) {
    throw new ApiError(200, 'the control plane answered a list request without "items"');
  }
  return {
    total: typeof body.total === 'number' ? body.total : body.items.length,
    items: body.items.filter(isRecord) as UniversalDoc[],
    next: typeof body.next === 'string' && body.next !== '' ? body.next : null,
  };
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Maps the API's error body (Kuma's `/std-errors` shape) to an ApiError; any other body still says something. */
export function toApiError(
  response: { status: number; statusText: string },
  body: unknown,
  text = '',
): ApiError {
  if (isRecord(body)) {
    const message =
      firstString(body.detail, body.details, body.title, body.message) ?? `HTTP ${response.status}`;
    return new ApiError(response.status, message, causesOf(body), firstString(body.title));
  }
  const snippet = text.trim().slice(0, 200);
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return new ApiError(response.status, snippet ? `${status}: ${snippet}` : status);
}

/** `invalid_parameters` and `causes` usually say the same thing; keep each field/message pair once. */
function causesOf(body: Record<string, unknown>): ApiCause[] {
  const out: ApiCause[] = [];
  const seen = new Set<string>();
  const add = (field: unknown, message: unknown): void => {
    const cause = { field: typeof field === 'string' ? field : '', message: String(message ?? '') };
    const key = `${cause.field}\u0000${cause.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(cause);
    }
  };
  for (const p of Array.isArray(body.invalid_parameters) ? body.invalid_parameters : []) {
    if (isRecord(p)) add(p.field, p.reason ?? p.message);
  }
  for (const c of Array.isArray(body.causes) ? body.causes : []) {
    if (isRecord(c)) add(c.field, c.message ?? c.reason);
  }
  return out;
}

function describeFetchFailure(err: unknown, timeoutMs: number): string {
  // fetch's timeout is a DOMException, which is not an `Error` of every realm (jest's): test the name.
  const name = isRecord(err) ? err.name : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return `no answer within ${timeoutMs / 1000}s`;
  }
  const code = errorCode(err);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection closed by the server';
    default:
      return code ? code.toLowerCase() : err instanceof Error ? err.message : String(err);
  }
}

/** fetch wraps the socket error as `cause`; sometimes twice (AggregateError for several addresses). */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    if (isRecord(e) && typeof e.code === 'string') return e.code;
    if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
    else e = isRecord(e) || e instanceof Error ? (e as { cause?: unknown }).cause : undefined;
  }
  return undefined;
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string' && v.trim() !== '');
}
