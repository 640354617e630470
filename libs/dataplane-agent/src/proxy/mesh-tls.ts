import {
  connect as tlsConnect,
  type SecureContext,
  type SecureContextOptions,
  type TLSSocket,
} from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { sanUris } from '@meshtls/pki';
import { MESH_ALPN } from './first-bytes.classifier';

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

/**
 * Opens mesh mTLS to an upstream dataplane and checks that it is the service asked for: its
 * certificate chains to the mesh bundle and carries `spiffe://{mesh}/{service}` (not a host name).
 * An upstream that is not ends the socket with an error before `secureConnect` listeners added by the
 * caller run (they must check `destroyed`).
 */
export function connectMeshTls(options: {
  host: string;
  port: number;
  mesh: string;
  service: string;
  context: SecureContext;
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
  });
  socket.once('secureConnect', () => {
    const uris = peerSanUris(socket);
    if (!uris.includes(expected)) {
      socket.destroy(
        new Error(`upstream is not ${expected} (its certificate names ${uris.join(', ') || 'nothing'})`),
      );
    }
  });
  // No Nagle from the first flight on: the handshake's small records go out at once.
  socket.setNoDelay(true);
  return socket;
}
