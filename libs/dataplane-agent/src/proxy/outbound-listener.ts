import { connect as netConnect, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import {
  connectMeshTls,
  materialKey,
  secureContextOptions,
  type MeshTlsMaterial,
  type VerifiedSession,
} from './mesh-tls';
import { TcpListener, splice } from './tcp-listener';

/** An upstream dataplane of the target service: its inbound address and whether it holds a certificate. */
export interface UpstreamEndpoint {
  readonly address: string;
  readonly port: number;
  /** False for an upstream not yet issued a certificate (PERMISSIVE meshes only: reached in plaintext). */
  readonly mtls: boolean;
}

export interface OutboundListenerOptions {
  readonly port: number;
  readonly mesh: string;
  /** The `kuma.io/service` this outbound reaches. */
  readonly service: string;
  /** Current endpoints, as the control plane last sent them. */
  readonly endpoints: () => readonly UpstreamEndpoint[];
  /** The current identity; undefined before the first one (mTLS upstreams are then not reached). */
  readonly material: () => MeshTlsMaterial | undefined;
  /** True when the mesh has mTLS off: plaintext to every endpoint. */
  readonly mtlsDisabled?: () => boolean;
  /** How long a failed endpoint is skipped. */
  readonly failureCooldownMs?: number;
  readonly onError?: (message: string) => void;
  /**
   * A connection joined to an upstream, over mTLS or (mTLS off, upstream without certificate) not;
   * `resumed`: over mTLS resuming a TLS session (no full handshake).
   */
  readonly onForwarded?: (upstream: string, mtls: boolean, resumed: boolean) => void;
  /**
   * TLS session resumption (on by default): the last session of each upstream endpoint is offered on
   * the next connection to it; all are dropped with a new certificate or trust bundle of this dataplane.
   */
  readonly sessionResumption?: boolean;
  /** How many endpoints' sessions are kept at most (the oldest goes first). */
  readonly maxSessions?: number;
}

/**
 * One outbound of a dataplane: the application connects to 127.0.0.1:`port`; each connection goes to
 * the next healthy endpoint of the service (round robin), over mesh mTLS that checks the upstream is
 * `spiffe://{mesh}/{service}`. An endpoint that fails is skipped for a while and the next one tried.
 */
export class OutboundListener {
  private readonly listener = new TcpListener((socket) => {
    socket.pause();
    this.forward(socket, 0);
  });
  private readonly failedUntil = new Map<string, number>();
  private next = 0;
  private context?: { key: string; context: SecureContext };
  /** The last verified session of each endpoint (`address:port`), under the current context only. */
  private readonly sessions = new Map<string, VerifiedSession>();

  constructor(private readonly options: OutboundListenerOptions) {}

  listen(): Promise<number> {
    return this.listener.listen(this.options.port, '127.0.0.1');
  }

  /** Stops listening and ends every connection. */
  close(): Promise<void> {
    return this.listener.close();
  }

  private forward(client: Socket, tried: number): void {
    const endpoints = this.options.endpoints();
    const endpoint = this.pick(endpoints);
    if (!endpoint || tried >= endpoints.length) {
      this.options.onError?.(`no healthy endpoint of ${this.options.service}`);
      return void client.destroy();
    }
    const opened = this.open(endpoint);
    if (opened === undefined) {
      this.options.onError?.(`no identity yet: cannot reach ${this.options.service} over mTLS`);
      return void client.destroy();
    }
    const { socket: upstream, ready } = opened;
    const onFailure = (error: Error) => {
      this.sessions.delete(idOf(endpoint));
      this.failedUntil.set(idOf(endpoint), Date.now() + (this.options.failureCooldownMs ?? 5_000));
      this.options.onError?.(`${idOf(endpoint)}: ${error.message}`);
      upstream.destroy();
      if (!client.destroyed) this.forward(client, tried + 1);
    };
    upstream.once('error', onFailure);
    upstream.once(ready, () => {
      if (upstream.destroyed) return; // refused after the handshake (not the service asked for)
      upstream.removeListener('error', onFailure);
      const mtls = ready === 'secureConnect';
      this.options.onForwarded?.(idOf(endpoint), mtls, mtls && (upstream as TLSSocket).isSessionReused());
      splice(client, upstream);
      client.resume();
    });
  }

  /**
   * mTLS, unless the mesh has mTLS off or the upstream holds no certificate yet (PERMISSIVE): plaintext.
   * Undefined while this dataplane has no identity of its own for an mTLS upstream.
   */
  private open(
    endpoint: UpstreamEndpoint,
  ): { socket: Socket; ready: 'connect' | 'secureConnect' } | undefined {
    if (this.options.mtlsDisabled?.() || !endpoint.mtls)
      return {
        socket: netConnect({ port: endpoint.port, host: endpoint.address, noDelay: true }),
        ready: 'connect',
      };
    const material = this.options.material();
    if (!material) return undefined;
    const context = this.contextFor(material);
    const id = idOf(endpoint);
    const resumption = this.options.sessionResumption !== false;
    const resume = resumption ? this.sessions.get(id) : undefined;
    const socket = connectMeshTls({
      host: endpoint.address,
      port: endpoint.port,
      mesh: this.options.mesh,
      service: this.options.service,
      context,
      ...(resume ? { resume } : {}),
      ...(resumption ? { onSession: (session: VerifiedSession) => this.keep(id, context, session) } : {}),
    });
    return { socket, ready: 'secureConnect' };
  }

  /** Round robin over the endpoints not in their cooldown (all of them when every one failed lately). */
  private pick(endpoints: readonly UpstreamEndpoint[]): UpstreamEndpoint | undefined {
    if (endpoints.length === 0) return undefined;
    const now = Date.now();
    const healthy = endpoints.filter((e) => (this.failedUntil.get(idOf(e)) ?? 0) <= now);
    const pool = healthy.length > 0 ? healthy : endpoints;
    return pool[this.next++ % pool.length];
  }

  private contextFor(material: MeshTlsMaterial): SecureContext {
    const key = materialKey(material);
    if (this.context?.key !== key) {
      const context = createSecureContext(secureContextOptions(material));
      this.context = { key, context };
      // Sessions were verified with the previous certificate and against the previous bundle.
      this.sessions.clear();
    }
    return this.context.context;
  }

  /** Keeps an endpoint's latest session, unless the context it was made under has been replaced since. */
  private keep(id: string, context: SecureContext, session: VerifiedSession): void {
    if (this.context?.context !== context) return;
    this.sessions.delete(id);
    this.sessions.set(id, session);
    const max = this.options.maxSessions ?? 1_024;
    for (const oldest of this.sessions.keys()) {
      if (this.sessions.size <= max) break;
      this.sessions.delete(oldest);
    }
  }
}

function idOf(endpoint: UpstreamEndpoint): string {
  return `${endpoint.address}:${endpoint.port}`;
}
