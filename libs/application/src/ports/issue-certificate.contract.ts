import type { IssuedCertificateDto, TrustAnchorDto } from '@meshtls/contracts';
import { MeshError } from '@meshtls/util';

export interface IssueCertificateCommand {
  readonly mesh: string;
  readonly dataplane: string;
  /** The CSR (the dataplane's, or mesh-api's for a dataplane that sends none): only its public key is used. */
  readonly csrPem: string;
  /** The revision of the Mesh the requester acted on. */
  readonly meshVersion: number;
  /** The revision of the Dataplane the requester acted on: its names come from it. */
  readonly dataplaneVersion: number;
  /** The backend the requester found enabled in that Mesh: the one that signs. */
  readonly backend: string;
}

export interface IssueCertificateResult {
  readonly certificate: IssuedCertificateDto;
  /** The anchors of every backend of the mesh, so peers keep trusting both sides of a CA switch. */
  readonly trustBundle: TrustAnchorDto[];
}

/**
 * The request names a Mesh or Dataplane revision this store does not hold (after waiting for it), or a
 * backend that is not the one enabled at that revision: the requester and this signer disagree on the
 * facts, and nothing is signed. The requester reads its own store again and asks with what it holds.
 */
export class StaleIssueRequestError extends MeshError {
  readonly code = 'ca.stale-request';
}
