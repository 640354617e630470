export { ApplyResourceUseCase } from './resources/apply-resource.use-case';
export type { ApplyResourceCommand, ApplyResourceResult } from './resources/apply-resource.use-case';
export { DeleteResourceUseCase } from './resources/delete-resource.use-case';
export {
  ResourceQueries,
  parsePageRequest,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
} from './resources/resource-queries';
export type { PageRequest } from './resources/resource-queries';
export {
  DataSourceReader,
  FileSourceError,
  MAX_FILE_SOURCE_BYTES,
  nodeFileReader,
  readBoundedFile,
} from './ca/data-source.reader';
export type { FileReader, FileRefusal, ReadContext } from './ca/data-source.reader';
export type { CaManager, BackendReport } from './ca/ca-manager';
export { BuiltinCaManager } from './ca/builtin-ca.manager';
export type { BuiltinCaManagerOptions } from './ca/builtin-ca.manager';
export { ProvidedCaManager } from './ca/provided-ca.manager';
export { CaRegistry } from './ca/ca-registry';
export {
  CaNotReadyError,
  MeshNotFoundError,
  DataplaneNotFoundError,
  MtlsDisabledError,
} from './ca/ca.errors';
export { ValidateMtlsUseCase } from './ca/validate-mtls.use-case';
export { EnsureCaBackendsUseCase } from './ca/ensure-ca-backends.use-case';
export { IssueCertificateUseCase, StaleIssueRequestError } from './ca/issue-certificate.use-case';
export type { IssueCertificateCommand, IssueCertificateResult } from './ca/issue-certificate.use-case';
export { BusMeshCaGateway } from './ca/mesh-ca.gateway';
export { MtlsKeySeal, UnsealedKeyError } from './ca/mtls-key-seal';
export type { MeshCaGateway } from './ca/mesh-ca.gateway';
export {
  AdmissionController,
  AdmissionOptionsError,
  DEFAULT_ADMISSION,
  IssuePriority,
} from './ca/admission-controller';
export type { AdmissionOptions, AdmissionResult, Timers } from './ca/admission-controller';
export { TrustBundleQuery } from './ca/trust-bundle.query';
export { IssueRequestLedger } from './ca/issue-request.ledger';
export type { IssueRequestLedgerOptions } from './ca/issue-request.ledger';
export { StreamStatus, StreamRefusedError } from './dataplanes/dataplane-channel.port';
export type { DataplaneChannel } from './dataplanes/dataplane-channel.port';
export { DataplaneTokenError, TOKEN_REFUSALS } from './dataplanes/dataplane-token.port';
export type {
  DataplaneTokenClaims,
  DataplaneTokenVerifier,
  TokenRefusal,
} from './dataplanes/dataplane-token.port';
export { BusIdentityIssuer, IssueDeadlineError, issueWithCsr } from './dataplanes/identity-issuer';
export {
  IssuedIdentityRejectedError,
  IssuedIdentityVerifier,
  VerifyingIdentityIssuer,
} from './dataplanes/issued-identity.verifier';
export type {
  IdentityIssuer,
  IssuedIdentity,
  IssueIdentityCommand,
  BusIdentityIssuerOptions,
} from './dataplanes/identity-issuer';
export { DataplaneSession, CsrTimeoutError, SessionClosedError } from './dataplanes/dataplane-session';
export { admitDataplane } from './dataplanes/connect-dataplane';
export type { DataplaneAuthorizer, AdmittedDataplane } from './dataplanes/connect-dataplane';
export { DataplaneHub } from './dataplanes/dataplane-hub';
export type {
  DataplaneHubDeps,
  HubObserver,
  LimitedIssuance,
  RotateOutcome,
} from './dataplanes/dataplane-hub';
export { IssuanceRateLimiter, IssuanceLimitError } from './dataplanes/issuance-rate-limiter';
export type { IssuanceDecision } from './dataplanes/issuance-rate-limiter';
export { DataplaneTokenService } from './tokens/dataplane-token.service';
export { tokenAllows } from './tokens/dataplane-token.rules';
export { parseDataplaneTokenRequest } from './tokens/dataplane-token-request.parser';
export { DATAPLANE_TOKEN_VALIDITY, validateIssueCommand } from './tokens/dataplane-token.validation';
export type { IssueDataplaneTokenCommand, CheckedIssueCommand } from './tokens/dataplane-token.validation';
export { signingKeySecretName, signingKeySerialOf } from './tokens/signing-key-names.rules';
export { SigningKeyInvalidError } from './tokens/tokens.errors';
export { RotationScheduler, RotationOptionsError, ROTATION_DEFAULTS } from './rotation/rotation-scheduler';
export type {
  RotationSchedulerOptions,
  RotationTickReport,
  RotationLogLevel,
} from './rotation/rotation-scheduler';
export { RotationLoop } from './rotation/rotation-loop';
export type { RotationLoopOptions, LoopTimers, Tickable } from './rotation/rotation-loop';
export { DataplaneInsightRecorder, insightKey } from './insights/dataplane-insight.recorder';
export type { CertificateEvent, ConnectionEvent } from './insights/dataplane-insight.recorder';
export { InsightQueries } from './insights/insight-queries';
export type { DataplaneOverview, MeshInsight } from './insights/insight-queries';
