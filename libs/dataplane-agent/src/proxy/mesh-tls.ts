import { TLSSocket, connect as tlsConnect, type SecureContext, type SecureContextOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { PemLabel, pemBlocks, sanUris } from '@meshtls/pki';
import { MESH_ALPN } from './first-bytes.classifier';
import { withoutPeerCertificate } from './tls-session';

/** What a dataplane presents and trusts right now (changes on rotation and CA switches). */
export interface MeshTlsMaterial {
  /** Serial of the certificate: a new one means a new context. */
  readonly serial: string;
  /** Leaf then intermediates. */
  readonly certChainPem: string;
  readonly keyPem: string;
  /** Every trusted mesh CA. */
  readonly trustBundlePem: string;
}

/** The TLS context options of an identity: its certificate chain and key, the mesh bundle, TLS 1.2+. */
export function secureContextOptions(material: MeshTlsMaterial): SecureContextOptions {
  return {
    cert: material.certChainPem,
    key: material.keyPem,
    ca: material.trustBundlePem,
    minVersion: 'TLSv1.2',
  };
}

/** Identifies what a TLS context is built from: a new certificate or a new bundle needs a new one. */
export function materialKey(material: MeshTlsMaterial): string {
  return `${material.serial}\n${material.trustBundlePem}`;
}

/**
 * SAN URIs of the peer of a TLS connection (`URI:spiffe://m/web, URI:kuma://v/1` as Node reports them).
 * Reads the certificate as an X509Certificate, which parses only what is asked for: building the full
 * object of `getPeerCertificate()` cost a quarter of a sidecar's time per new connection.
 */
export function peerSanUris(socket: TLSSocket): string[] {
  return sanUris(peerCertificate(socket)?.subjectAltName);
}

/**
 * The peer's certificate of a TLS connection. Node 20 hands it out once (a second
 * `getPeerX509Certificate()` answers undefined), so it is kept per socket here.
 */
export function peerCertificate(socket: TLSSocket): X509Certificate | undefined {
  let peer = peers.get(socket);
  if (!peer) {
    peer = socket.getPeerX509Certificate();
    if (peer) peers.set(socket, peer);
  }
  return peer;
}

const peers = new WeakMap<TLSSocket, X509Certificate>();

/** The CAs of a trust bundle, parsed once per bundle (a resumed connection is checked against them). */
export function trustAnchors(bundlePem: string): X509Certificate[] {
  return pemBlocks(bundlePem)
    .filter((block) => block.label === PemLabel.Certificate)
    .map(({ pem }) => new X509Certificate(pem));
}

/** How deep a chain shown with a resumed session is followed before giving up. */
const MAX_CHAIN = 8;

/**
 * Why a resumed session's peer certificate would not pass a full handshake now, or undefined when it
 * would: OpenSSL keeps the peer certificate with the session but does not verify it again on
 * resumption, so expiry and the chain to the *current* trust bundle are checked here, on every
 * resumed connection. No certificate at all is refused too (the identity could not be checked).
 */
export function resumedPeerProblem(
  peer: X509Certificate | undefined,
  anchors: readonly X509Certificate[],
  now: number = Date.now(),
): string | undefined {
  if (!peer) return 'the resumed session shows no peer certificate';
  let cert = peer;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const validity = validityProblem(cert, now);
    if (validity) return depth === 0 ? `the peer certificate ${validity}` : `its issuer ${validity}`;
    if (anchors.some((ca) => ca.fingerprint256 === cert.fingerprint256)) return undefined;
    const anchor = anchors.find((ca) => issued(ca, cert));
    if (anchor) {
      const anchorValidity = validityProblem(anchor, now);
      return anchorValidity ? `its issuing CA ${anchorValidity}` : undefined;
    }
    const next = cert.issuerCertificate;
    if (!next || next.fingerprint256 === cert.fingerprint256 || !issued(next, cert)) break;
    cert = next;
  }
  return `the peer certificate was issued by a CA no longer in the trust bundle (${peer.issuer.replace(/\n/g, ', ')})`;
}

/**
 * The check of resumed sessions under one trust bundle (built anew with every bundle, as the ticket
 * keys are, so every session it sees was made by a full handshake under the same bundle). A full
 * handshake, which OpenSSL verified against this bundle, records the client certificate with the time
 * window its whole chain is valid in (`verified`): a resumed session shows the leaf only, without its
 * intermediates, so `problem` finds it there and checks the time again. A certificate not recorded
 * (at most `max` are kept, the least recently seen forgotten first) is checked by `resumedPeerProblem`.
 */
export class ResumedPeerCheck {
  private readonly anchors: readonly X509Certificate[];
  private readonly passed = new Map<string, { from: number; to: number }>();

  constructor(
    bundlePem: string,
    private readonly max = 8_192,
  ) {
    this.anchors = trustAnchors(bundlePem);
  }

  /**
   * Records the client certificate of a full handshake (its chain is shown there); one whose chain
   * reaches no CA of this bundle (verified under a bundle replaced meanwhile) is not recorded.
   */
  verified(peer: X509Certificate): void {
    const window = this.window(peer);
    if (window) this.remember(peer.fingerprint256, window);
  }

  /** Why a resumed session showing `peer` would not pass a full handshake now, or undefined. */
  problem(peer: X509Certificate | undefined, now: number = Date.now()): string | undefined {
    if (!peer) return resumedPeerProblem(peer, this.anchors, now);
    const key = peer.fingerprint256;
    const known = this.passed.get(key);
    if (!known) {
      const problem = resumedPeerProblem(peer, this.anchors, now);
      const window = problem === undefined ? this.window(peer) : undefined;
      if (window) this.remember(key, window);
      return problem;
    }
    this.remember(key, known);
    const leaf = validityProblem(peer, now);
    if (leaf) return `the peer certificate ${leaf}`;
    if (now > known.to) return `a certificate of its chain expired at ${new Date(known.to).toISOString()}`;
    if (now < known.from)
      return `a certificate of its chain is not valid before ${new Date(known.from).toISOString()}`;
    return undefined;
  }

  private remember(key: string, window: { from: number; to: number }): void {
    this.passed.delete(key);
    this.passed.set(key, window);
    if (this.passed.size > this.max) this.passed.delete(this.passed.keys().next().value as string);
  }

  /**
   * When the certificate, the intermediates it came with and the CA of the bundle above them are all
   * valid; undefined when they reach no CA of the bundle. Names only find the CA: the signatures were
   * verified by the handshake or `resumedPeerProblem`.
   */
  private window(peer: X509Certificate): { from: number; to: number } | undefined {
    const chain = [peer];
    for (let cert = peer; ; ) {
      const anchor = this.anchors.find(
        (ca) => ca.fingerprint256 === cert.fingerprint256 || cert.checkIssued(ca),
      );
      if (anchor) {
        chain.push(anchor);
        break;
      }
      const next = cert.issuerCertificate;
      if (!next || next.fingerprint256 === cert.fingerprint256 || chain.length > MAX_CHAIN) return undefined;
      chain.push(next);
      cert = next;
    }
    return {
      from: Math.max(...chain.map((c) => Date.parse(c.validFrom))),
      to: Math.min(...chain.map((c) => Date.parse(c.validTo))),
    };
  }
}

function issued(ca: X509Certificate, cert: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

function validityProblem(cert: X509Certificate, now: number): string | undefined {
  if (now > Date.parse(cert.validTo)) return `expired at ${new Date(cert.validTo).toISOString()}`;
  if (now < Date.parse(cert.validFrom))
    return `is not valid before ${new Date(cert.validFrom).toISOString()}`;
  return undefined;
}

/**
 * A TLS session kept by a client for an upstream, with what the full handshake that made it verified:
 * on resumption Node shows the client no peer certificate, so the identity travels with the session.
 */
export interface VerifiedSession {
  readonly session: Buffer;
  /** The upstream's SPIFFE ID checked in the full handshake. */
  readonly identity: string;
  /**
   * When the upstream's certificate, or an intermediate it came with, expires (ms since the epoch): a
   * resumed session is refused past it.
   */
  readonly notAfter: number;
}

/**
 * Opens mesh mTLS to an upstream dataplane and checks that it is the service asked for: its
 * certificate chains to the mesh bundle and carries `spiffe://{mesh}/{service}` (not a host name).
 * With `resume`, offers that session; a resumed connection is accepted only if the session was verified
 * as the same identity and the upstream's certificate has not expired since (the bundle it was verified
 * against is the one of `context`: sessions are dropped with the context). Every session the server
 * hands out on a verified connection goes to `onSession`. An upstream that is not the one asked for
 * ends the socket with an error before `secureConnect` listeners added by the caller run (they must
 * check `destroyed`).
 */
export function connectMeshTls(options: {
  host: string;
  port: number;
  mesh: string;
  service: string;
  context: SecureContext;
  resume?: VerifiedSession;
  onSession?: (session: VerifiedSession) => void;
}): TLSSocket {
  const expected = `spiffe://${options.mesh}/${options.service}`;
  const socket = tlsConnect({
    host: options.host,
    port: options.port,
    secureContext: options.context,
    ALPNProtocols: [MESH_ALPN],
    rejectUnauthorized: true,
    // The identity is checked below on the X509Certificate (cheaper than the object given here).
    checkServerIdentity: () => undefined,
    ...(options.resume && !OFFER_AFTER_CONNECT ? { session: options.resume.session } : {}),
  });
  // The ClientHello is written once the TCP connection is up, so a session set now is offered in it.
  if (options.resume && OFFER_AFTER_CONNECT) (socket as SessionSetter).setSession(options.resume.session);
  let notAfter: number | undefined;
  let pending: Buffer | undefined;
  const keep = (session: Buffer) => {
    if (notAfter === undefined) pending = session;
    else options.onSession?.({ session: withoutPeerCertificate(session), identity: expected, notAfter });
  };
  if (options.onSession) socket.on('session', keep);
  socket.once('secureConnect', () => {
    const resumed = socket.isSessionReused();
    const problem = resumed
      ? resumedUpstreamProblem(options.resume, expected)
      : fullHandshakeProblem(socket, expected);
    if (problem) return void socket.destroy(problem);
    if (resumed) notAfter = options.resume!.notAfter;
    else {
      const peer = peerCertificate(socket);
      notAfter = peer ? chainNotAfter(peer) : Date.now();
    }
    if (pending) keep(pending);
  });
  // No Nagle from the first flight on: the handshake's small records go out at once.
  socket.setNoDelay(true);
  return socket;
}

/** When the first certificate of a chain shown in a full handshake expires (leaf or intermediates). */
function chainNotAfter(leaf: X509Certificate): number {
  let notAfter = Date.parse(leaf.validTo);
  let cert = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const next = cert.issuerCertificate;
    if (!next || next.fingerprint256 === cert.fingerprint256) break;
    notAfter = Math.min(notAfter, Date.parse(next.validTo));
    cert = next;
  }
  return notAfter;
}

type SessionSetter = TLSSocket & { setSession(session: Buffer): void };

/**
 * Node 20's tls.connect decodes a `session` given in its options twice (each decode parses the
 * upstream's certificate kept in it: a third of the CPU of a resumed connection); the socket's own
 * `setSession` decodes it once. Used when this Node has it, else the session goes in the options.
 */
const OFFER_AFTER_CONNECT = typeof (TLSSocket.prototype as Partial<SessionSetter>).setSession === 'function';

function fullHandshakeProblem(socket: TLSSocket, expected: string): Error | undefined {
  const uris = peerSanUris(socket);
  if (uris.includes(expected)) return undefined;
  return new Error(`upstream is not ${expected} (its certificate names ${uris.join(', ') || 'nothing'})`);
}

function resumedUpstreamProblem(resume: VerifiedSession | undefined, expected: string): Error | undefined {
  if (!resume || resume.identity !== expected)
    return new Error(`upstream resumed a session not verified as ${expected}`);
  if (Date.now() > resume.notAfter)
    return new Error(
      `upstream resumed a session of a certificate that expired at ${new Date(resume.notAfter).toISOString()}`,
    );
  return undefined;
}
