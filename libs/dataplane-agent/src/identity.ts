import type { DataplaneIdentityMessage } from '@meshtls/contracts';
import type { CertificateFacts } from '@meshtls/domain';

/** What a dataplane holds: its certificate and key (in memory only), the bundle it trusts, the mode. */
export interface DataplaneIdentity extends CertificateFacts {
  readonly certPem: string;
  /** Intermediates, leaf-most first (empty for a root CA). */
  readonly chainPem: string;
  readonly keyPem: string;
  readonly rotateAt: string;
  /** PEM of every trusted CA, one after the other. */
  readonly trustBundlePem: string;
  readonly mode: DataplaneIdentityMessage['mode'];
  readonly uris: readonly string[];
  readonly reason: string;
}

export function bundlePem(anchors: readonly { certPem: string }[]): string {
  return anchors.map((a) => (a.certPem.endsWith('\n') ? a.certPem : `${a.certPem}\n`)).join('');
}
