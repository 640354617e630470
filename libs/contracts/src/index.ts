export { defineRequest, defineEvent, replyEnvelope } from './contract';
export type {
  RequestContract,
  EventContract,
  RequestOf,
  ReplyOf,
  PayloadOf,
  ReplyEnvelope,
} from './contract';
export { APP_ROLES, appRole, pingContracts, instanceLifecycle } from './system.contracts';
export type { AppRole, PingRequest, PingReply, PingContract } from './system.contracts';
export {
  apiCaller,
  validateMtls,
  ensureCaBackends,
  issueCertificate,
  trustBundle,
  ISSUE_REASONS,
  issueReason,
} from './ca.contracts';
export type { ApiCaller, IssueReason, IssuedCertificateDto, TrustAnchorDto } from './ca.contracts';
export {
  DATAPLANE_STREAM_PATH,
  dataplaneStreamMethod,
  dataplaneIdentityService,
  rotateDataplane,
  addressedTo,
  dataplaneCertificateIssued,
  dataplaneConnection,
  dataplaneServerMessageProblem,
  STREAM_END_TRAILER,
  STREAM_END_REASONS,
  MAX_DATAPLANE_SERVER_MESSAGE_BYTES,
} from './dataplane.contracts';
export type { StreamEndReason } from './dataplane.contracts';
export { dataplaneClientMessage } from './dataplane-client.messages';
export type { DataplaneClientMessage, DataplaneHello } from './dataplane-client.messages';
export {
  dataplaneKeyType,
  dataplaneServerMessage,
  mtlsModes,
  MAX_TRAFFIC_PERMISSIONS,
} from './dataplane-server.messages';
export type {
  DataplaneIdentityMessage,
  DataplaneServerMessage,
  DataplaneTrafficMessage,
  UpstreamEndpointDto,
} from './dataplane-server.messages';
