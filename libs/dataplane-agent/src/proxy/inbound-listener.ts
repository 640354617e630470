import { connect as netConnect, type Socket } from 'node:net';
import { constants, randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { MESH_ALPN, classifyFirstBytes } from './first-bytes.classifier';
import {
  materialKey,
  peerCertificate,
  peerSanUris,
  ResumedPeerCheck,
  secureContextOptions,
  type MeshTlsMaterial,
} from './mesh-tls';
import { TcpListener, splice } from './tcp-listener';

export type InboundMode = 'STRICT' | 'PERMISSIVE' | 'DISABLED';

export interface InboundDecision {
  readonly allowed: boolean;
  /** The rule that decided, for the refusal log. */
  readonly rule: string;
}

/** Why an inbound connection was refused. */
export type RefusalKind =
  /**
   * The handshake failed: plaintext or foreign TLS in STRICT, no or an untrusted client certificate; or
   * a resumed session whose client certificate has expired or no longer chains to the trust bundle.
   */
  | 'handshake'
  /** This dataplane has no certificate yet (mesh mTLS cannot be served). */
  | 'no-identity'
  /** MeshTrafficPermission does not allow the client. */
  | 'not-allowed';

export interface InboundRefusal {
  readonly kind: RefusalKind;
  readonly reason: string;
  /** The client's SAN URIs (empty before a completed handshake). */
  readonly client: readonly string[];
  readonly remote: string;
}

export interface InboundListenerOptions {
  readonly address: string;
  readonly port: number;
  /** The application behind this inbound. */
  readonly forwardTo: { readonly host: string; readonly port: number };
  /** Read at every new connection: a mode change affects new connections only. */
  readonly mode: () => InboundMode;
  /** The current identity, or undefined while there is none (mesh mTLS is then refused). */
  readonly material: () => MeshTlsMaterial | undefined;
  /** MeshTrafficPermission for the client's SAN URIs. */
  /** `serverName`: the SNI the client sent, if any. */
  readonly authorize: (sanUris: readonly string[], serverName?: string) => InboundDecision;
  readonly onRefused?: (event: InboundRefusal) => void;
  /**
   * Every connection passed to the application, by how it came: mesh mTLS, plaintext, or foreign TLS;
   * `resumed`: mesh mTLS that resumed a TLS session (no full handshake).
   */
  readonly onForwarded?: (kind: 'mtls' | 'plaintext' | 'tls-passthrough', resumed: boolean) => void;
  /**
   * TLS session resumption (tickets, on by default): the ticket keys are random, per listener, and
   * replaced with every new certificate or trust bundle; a resumed connection is checked and authorised
   * as a full one. False issues no tickets.
   */
  readonly sessionResumption?: boolean;
  /** How long to wait for a client's first bytes in PERMISSIVE before treating it as plaintext. */
  readonly sniffTimeoutMs?: number;
}

/**
 * One inbound of a dataplane: listens on the dataplane's address and port and forwards to the
 * application. STRICT admits only mesh mTLS from an allowed identity; PERMISSIVE lets the first bytes
 * decide (mesh mTLS → terminated and authorised; the application's own TLS and plaintext → passed
 * through untouched); DISABLED passes everything through.
 */
export class InboundListener {
  private readonly listener = new TcpListener((socket) => this.accept(socket));
  /** Verifies clients against the mesh bundle (and refuses the rest) the way a TLS server does. */
  private readonly tlsServer: TlsServer;
  private contextKey?: string;
  /** Against the current bundle: what a resumed client certificate must still chain to. */
  private resumedPeers?: ResumedPeerCheck;

  constructor(private readonly options: InboundListenerOptions) {
    this.tlsServer = createTlsServer(
      {
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: [MESH_ALPN],
        ...this.resumptionOptions(),
      },
      (tls) => this.onSecure(tls),
    );
    this.tlsServer.on('tlsClientError', (error: Error, tls: TLSSocket) => {
      this.options.onRefused?.({
        kind: 'handshake',
        reason: `handshake: ${error.message}`,
        client: [],
        remote: remoteOf(tls),
      });
      tls.destroy();
    });
  }

  listen(): Promise<number> {
    return this.listener.listen(this.options.port, this.options.address);
  }

  /** Stops listening and ends every connection. */
  close(): Promise<void> {
    return this.listener.close();
  }

  private accept(socket: Socket): void {
    const mode = this.options.mode();
    if (mode === 'DISABLED') return this.passThrough(socket, Buffer.alloc(0), 'plaintext');
    // STRICT reads nothing first: every connection must complete a mesh mTLS handshake on the socket
    // itself (plaintext and foreign TLS fail it), which keeps Node's native TLS path.
    if (mode === 'STRICT') return this.terminate(socket, socket);
    let buffered = Buffer.alloc(0);
    const decide = (timedOut: boolean) => {
      socket.removeListener('data', onData);
      clearTimeout(timer);
      socket.pause();
      const verdict = timedOut ? 'plaintext' : classifyFirstBytes(buffered);
      if (verdict === 'mesh-tls') return this.terminate(socket, replaying(socket, buffered));
      this.passThrough(socket, buffered, verdict === 'other-tls' ? 'tls-passthrough' : 'plaintext');
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (classifyFirstBytes(buffered) !== 'need-more') decide(false);
    };
    // A server-speaks-first protocol sends nothing: in PERMISSIVE it is plaintext after a short wait.
    const timer = setTimeout(() => decide(true), this.options.sniffTimeoutMs ?? 200);
    socket.on('data', onData);
  }

  /**
   * Hands the connection to the TLS server (`transport` is the socket itself, or after sniffing a stream
   * replaying the bytes already read). Its context follows the current identity: swapped for new
   * handshakes on rotation, open connections keep theirs.
   */
  private terminate(socket: Socket, transport: Duplex): void {
    const material = this.options.material();
    if (!material)
      return this.refuse(socket, [], 'no-identity', 'no identity yet: mesh mTLS cannot be served');
    const key = materialKey(material);
    if (key !== this.contextKey) {
      this.tlsServer.setSecureContext({ ...secureContextOptions(material), ...this.resumptionOptions() });
      // New keys: every ticket issued under the previous certificate or bundle is no longer accepted
      // (its client makes a full handshake, verified against the new bundle).
      if (this.options.sessionResumption !== false) this.tlsServer.setTicketKeys(randomBytes(48));
      this.resumedPeers = new ResumedPeerCheck(material.trustBundlePem);
      this.contextKey = key;
    }
    this.tlsServer.emit('connection', transport);
  }

  private onSecure(tls: TLSSocket): void {
    const client = peerSanUris(tls);
    const resumed = tls.isSessionReused();
    const peer = peerCertificate(tls);
    if (!resumed && peer && this.options.sessionResumption !== false) this.resumedPeers?.verified(peer);
    if (resumed) {
      // OpenSSL does not verify the client certificate again on resumption: it is checked here as a
      // full handshake would check it now.
      const check = this.resumedPeers;
      const problem = check ? check.problem(peer) : 'no trust bundle to check it against';
      if (problem) return this.refuse(tls, client, 'handshake', `resumed session: ${problem}`);
    }
    const decision = this.options.authorize(client, tls.servername || undefined);
    if (!decision.allowed) return this.refuse(tls, client, 'not-allowed', decision.rule);
    this.options.onForwarded?.('mtls', resumed);
    this.pipeToApplication(tls, Buffer.alloc(0));
  }

  /** Without resumption no tickets are issued (and no session cache is kept). */
  private resumptionOptions(): { secureOptions?: number } {
    return this.options.sessionResumption === false ? { secureOptions: constants.SSL_OP_NO_TICKET } : {};
  }

  private passThrough(socket: Socket, head: Buffer, kind: 'plaintext' | 'tls-passthrough'): void {
    this.options.onForwarded?.(kind, false);
    this.pipeToApplication(socket, head);
    socket.resume();
  }

  private pipeToApplication(client: Socket, head: Buffer): void {
    const app = netConnect({
      port: this.options.forwardTo.port,
      host: this.options.forwardTo.host,
      noDelay: true,
    });
    if (head.length > 0) app.write(head);
    splice(client, app);
  }

  private refuse(socket: Socket, client: readonly string[], kind: RefusalKind, reason: string): void {
    this.options.onRefused?.({ kind, reason, client, remote: remoteOf(socket) });
    socket.destroy();
  }
}

function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}

/**
 * The socket as a plain stream that first replays `head` (bytes read while sniffing). Node's TLS would
 * read a net.Socket's handle directly and miss them; over a JS stream it sees every byte.
 */
function replaying(socket: Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read: () => socket.resume(),
    write: (chunk: Buffer, _encoding, callback) => socket.write(chunk, callback),
    final: (callback) => socket.end(callback),
    destroy: (error, callback) => (socket.destroy(error ?? undefined), callback(error)),
  });
  stream.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  return stream;
}
