import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
  readonly contentType?: string;
  readonly body?: unknown;
}

export interface RecordingApiOptions {
  /** Requests without `Bearer <token>` get 401 (the API's error shape). */
  readonly requiredToken?: string;
  /** The server's largest page, so tests can make it paginate with few items. */
  readonly maxPageSize?: number;
  /** Return an error body (answered as 400) to refuse a PUT. */
  readonly rejectPut?: (path: string, body: Record<string, unknown>) => Record<string, unknown> | undefined;
  /** Warnings returned by a PUT to this path. */
  readonly warnings?: Readonly<Record<string, readonly string[]>>;
}

/**
 * A test double of the REST API, speaking real HTTP on 127.0.0.1: it stores documents by path and
 * records every request, so tests can check exactly what the CLI sent, and answer with warnings, errors
 * and page sizes the real API gives only in rare cases. control-plane.int-spec.ts covers the same
 * commands against the real control plane.
 * Its `next` links name another host on purpose: the CLI must follow only their path.
 */
export class RecordingApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly docs = new Map<string, Record<string, unknown>>();
  private server?: Server;

  constructor(private readonly options: RecordingApiOptions = {}) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body,
    });
    const reply = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
    };
    if (this.options.requiredToken && req.headers.authorization !== `Bearer ${this.options.requiredToken}`) {
      return reply(401, stdError(401, 'Unauthorized', 'missing or invalid token'));
    }
    const path = url.pathname;
    if (isCollection(path) && req.method === 'GET') return reply(200, this.list(path, url.searchParams));
    const doc = this.docs.get(path);
    if (req.method === 'GET')
      return doc ? reply(200, doc) : reply(404, stdError(404, 'Could not get a resource', 'Not found'));
    if (req.method === 'DELETE') {
      if (!doc) return reply(404, stdError(404, 'Could not delete a resource', 'Not found'));
      this.docs.delete(path);
      return reply(200, {});
    }
    if (req.method === 'PUT' && body) {
      const refusal = this.options.rejectPut?.(path, body);
      if (refusal) return reply(400, refusal);
      const created = !doc;
      this.docs.set(path, {
        ...body,
        creationTime: '2026-01-01T00:00:00Z',
        modificationTime: '2026-01-01T00:00:00Z',
      });
      return reply(created ? 201 : 200, { warnings: this.options.warnings?.[path] ?? [] });
    }
    return reply(405, stdError(405, 'Method not allowed', 'Method not allowed'));
  }

  private list(path: string, query: URLSearchParams): unknown {
    const items = [...this.docs.entries()]
      .filter(([key]) => key.startsWith(`${path}/`) && !key.slice(path.length + 1).includes('/'))
      .map(([, doc]) => doc);
    const offset = Number(query.get('offset') ?? 0);
    const size = Math.min(Number(query.get('size') ?? 100), this.options.maxPageSize ?? 1000);
    const end = offset + size;
    return {
      total: items.length,
      items: items.slice(offset, end),
      next: end < items.length ? `http://localhost:1${path}?offset=${end}&size=${size}` : null,
    };
  }
}

const COLLECTION =
  /^\/(meshes|mesh-insights|global-secrets|meshes\/[^/]+\/(secrets|dataplanes|meshtrafficpermissions))$/;

function isCollection(path: string): boolean {
  return COLLECTION.test(path);
}

/** The API's error body (Kuma's `/std-errors`). */
export function stdError(
  status: number,
  title: string,
  detail: string,
  causes: readonly { field: string; message: string }[] = [],
): Record<string, unknown> {
  return {
    type: '/std-errors',
    status,
    title,
    detail,
    invalid_parameters: causes.map((c) => ({ field: c.field, reason: c.message })),
    details: detail,
    causes,
  };
}
