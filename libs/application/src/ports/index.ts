// The public names of ports/: the contract between mesh-api and ca-signer (what crosses the bus, the
// errors both sides map).
export { MeshNotFoundError } from './ca.errors';
export { StaleIssueRequestError } from './issue-certificate.contract';
export type { IssueCertificateResult } from './issue-certificate.contract';
