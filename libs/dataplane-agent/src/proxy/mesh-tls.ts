import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
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

/** Identifies what a TLS context is built from: a new certificate or a new bundle needs a new one. */
export function materialKey(material: MeshTlsMaterial): string {
  return `${material.serial}\n${material.trustBundlePem}`;
}

/** SAN URIs of a peer certificate as Node reports them (`URI:spiffe://m/web, URI:kuma://v/1`). */
export function sanUrisOf(peer: PeerCertificate | undefined): string[] {
  const san = peer?.subjectaltname ?? '';
  return san
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4));
}

/**
 * Opens mesh mTLS to an upstream dataplane and checks that it is the service asked for: its
 * certificate chains to the mesh bundle and carries `spiffe://{mesh}/{service}` (not a host name).
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
    checkServerIdentity: (_host, cert) =>
      sanUrisOf(cert).includes(expected)
        ? undefined
        : new Error(
            `upstream is not ${expected} (its certificate names ${sanUrisOf(cert).join(', ') || 'nothing'})`,
          ),
  });
  // No Nagle from the first flight on: the handshake's small records go out at once.
  socket.setNoDelay(true);
  return socket;
}
