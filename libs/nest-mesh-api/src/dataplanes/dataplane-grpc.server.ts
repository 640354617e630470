import type { AddressInfo } from 'node:net';
import {
  createSecureServer,
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { DataplaneHub } from '@meshtls/application';
import { dataplaneStreamMethod } from '@meshtls/contracts';
import { DataplaneCall, GRPC_CONTENT_TYPE, endWithStatus, type DataplaneLog } from './dataplane-call';
import { GrpcCode } from './grpc-wire';

/** For the errors of streams refused outright and of connections: their end is all that follows. */
const ignore = (): void => undefined;

/** How long `close` waits for connections to end after their streams were sent a status. */
const CLOSE_GRACE_MS = 2_000;

/** The server's settings (from `DpServerConfig`: `MESH_DP_KEEPALIVE_*`, `MESH_DP_HELLO_TIMEOUT`, ...). */
export interface DataplaneServerOptions {
  /** A ping after `timeMs` of a connection's life, each time; no answer within `timeoutMs` drops it. */
  readonly keepalive: { readonly timeMs: number; readonly timeoutMs: number };
  /** A stream without its hello after this long is ended `UNAUTHENTICATED`; 0: never. */
  readonly helloTimeoutMs: number;
  /** Streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxStreamsPerConnection: number;
}

/**
 * The dataplane endpoint: gRPC over TLS (HTTP/2, ALPN h2), one bidirectional stream per dataplane,
 * handed to the hub. Written on Node's own HTTP/2 server rather than a general gRPC server: the
 * endpoint has one method, JSON messages and no compression, and what a stream holds is what a
 * control plane holding tens of thousands of dataplanes pays per dataplane. HTTP/2 keepalive pings
 * find dataplanes that vanished without closing their connection.
 */
export class DataplaneGrpcServer {
  private server: Http2SecureServer | undefined;
  private readonly sessions = new Set<ServerHttp2Session>();

  constructor(
    private readonly hub: DataplaneHub,
    private readonly log: DataplaneLog,
    private readonly options: DataplaneServerOptions,
  ) {}

  /** Binds and resolves the port actually bound (for port 0). */
  listen(address: string, port: number, tls: { certPem: string; keyPem: string }): Promise<number> {
    const server = createSecureServer({
      cert: tls.certPem,
      key: tls.keyPem,
      minVersion: 'TLSv1.2',
      allowHTTP1: false,
      // One connection may carry thousands of dataplanes' streams (a fleet behind one proxy): Node's
      // default of 10 MB of buffered frames per connection would refuse streams at a few thousand.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      // A sidecar opens one stream at a time; many share a connection only behind a multiplexing proxy
      // (or the fleet benchmark). Past the cap a peer's next stream waits, or is refused if it does not.
      settings: { maxConcurrentStreams: this.options.maxStreamsPerConnection },
    });
    this.server = server;
    server.on('session', (session: ServerHttp2Session) => this.track(session));
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) =>
      this.route(stream, headers),
    );
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        server.on('error', (error: Error) => this.log('warn', `dataplane server: ${error.message}`));
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting and ends every stream: dataplanes reconnect to another replica. */
  async close(): Promise<void> {
    this.hub.closeAll('control plane shutting down');
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const session of this.sessions) session.destroy();
        resolve();
      }, CLOSE_GRACE_MS);
      server.close(() => (clearTimeout(timer), resolve()));
      // GOAWAY: each connection ends once its streams, all sent their status above, have closed.
      for (const session of this.sessions) session.close();
    });
  }

  /** The method's stream, or a status for anything else a client asks. */
  private route(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const refusal = refusalOf(headers);
    if (refusal === undefined) {
      new DataplaneCall(stream, this.hub, this.log).listen(this.options.helloTimeoutMs);
      return;
    }
    stream.on('error', ignore);
    if (refusal === 'not grpc') {
      if (!stream.destroyed) stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    endWithStatus(stream, GrpcCode.Unimplemented, refusal.message, refusal.trailers);
  }

  /** Follows a connection until it closes, pinging it after `keepalive.timeMs` of silence. */
  private track(session: ServerHttp2Session): void {
    this.sessions.add(session);
    // A connection's failures end its streams, each seen by its call; the connection itself is dropped.
    session.on('error', ignore);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const { timeMs, timeoutMs } = this.options.keepalive;
    const schedule = (): void => {
      timer = setTimeout(ping, timeMs);
      timer.unref();
    };
    const ping = (): void => {
      if (session.destroyed) return;
      timer = setTimeout(() => session.destroy(), timeoutMs);
      timer.unref();
      const sent = session.ping((error) => {
        clearTimeout(timer);
        if (error) session.destroy();
        else schedule();
      });
      if (!sent) session.destroy();
    };
    if (timeMs > 0) schedule();
    session.once('close', () => {
      clearTimeout(timer);
      this.sessions.delete(session);
    });
  }
}

/** Why a request is not the dataplane stream: another method or encoding, or not gRPC at all (415). */
function refusalOf(
  headers: IncomingHttpHeaders,
): { message: string; trailers?: OutgoingHttpHeaders } | 'not grpc' | undefined {
  const path = headers[':path'] ?? '';
  if (headers[':method'] !== 'POST' || path !== dataplaneStreamMethod.path)
    return { message: `no method ${path.slice(0, 200)} here` };
  if (!(headers['content-type'] ?? '').startsWith(GRPC_CONTENT_TYPE)) return 'not grpc';
  const encoding = headers['grpc-encoding'];
  if (encoding !== undefined && encoding !== 'identity')
    return {
      message: `grpc-encoding ${encoding.slice(0, 100)} is not supported`,
      trailers: { 'grpc-accept-encoding': 'identity' },
    };
  return undefined;
}
