// Defining a bus contract and the types read off one.
export { defineRequest, defineEvent, replyEnvelope } from './contract';
export { schemaIssues } from './schema-issues';
export type {
  RequestContract,
  EventContract,
  RequestOf,
  ReplyOf,
  PayloadOf,
  ReplyEnvelope,
} from './contract';

// System: pings and instance lifecycle of every role.
export { pingContracts, instanceLifecycle } from './system.contracts';
export type { AppRole } from './system.contracts';

// CA: what mesh-api asks ca-signer (validate mTLS, ensure backends, issue, trust bundle).
export {
  validateMtls,
  ensureCaBackends,
  issueCertificate,
  trustBundle,
  RETRY_AFTER_MAX_MS,
} from './ca.contracts';
export type { ApiCaller, IssueReason, IssuedCertificateDto, TrustAnchorDto } from './ca.contracts';

// Dataplane: the gRPC stream with the sidecar, and the rotation, certificate and connection messages on the bus.
export {
  dataplaneStreamMethod,
  dataplaneIdentityService,
  rotateDataplane,
  addressedTo,
  dataplaneCertificateIssued,
  dataplaneConnection,
  dataplaneServerMessageProblem,
  decodeDataplaneClientMessage,
  STREAM_END_TRAILER,
} from './dataplane.contracts';
export type { StreamEndReason } from './dataplane.contracts';
export type { DataplaneClientMessage, DataplaneHello } from './dataplane-client.messages';
export { MAX_TRAFFIC_PERMISSIONS } from './dataplane-server.messages';
export type {
  DataplaneIdentityMessage,
  DataplaneServerMessage,
  DataplaneTrafficMessage,
  UpstreamEndpointDto,
} from './dataplane-server.messages';
