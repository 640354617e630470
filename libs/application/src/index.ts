// ── ports: the contract between mesh-api and ca-signer (what crosses the bus, the errors both sides map) ──
export {
  CaNotReadyError,
  MeshNotFoundError,
  DataplaneNotFoundError,
  MtlsDisabledError,
} from './ports/ca.errors';
export { StaleIssueRequestError } from './ports/issue-certificate.contract';
export type { IssueCertificateCommand, IssueCertificateResult } from './ports/issue-certificate.contract';
export type { BackendReport } from './ports/mtls-validation.contract';

// ── shared: code more than one role runs ──
export {
  DataSourceReader,
  FileSourceError,
  MAX_FILE_SOURCE_BYTES,
  nodeFileReader,
  readBoundedFile,
} from './shared/data-source.reader';
export type { FileReader, FileRefusal, ReadContext } from './shared/data-source.reader';
export { MtlsKeySeal, UnsealedKeyError } from './shared/mtls-key-seal';
export type { Timers } from './shared/timers';
export { insightKey } from './shared/insight-key';

// ── ca-signer: the CA backends, admission and the signing side of issuance ──
export type { CaManager } from './ca-signer/ca-manager';
export { BuiltinCaManager } from './ca-signer/builtin-ca.manager';
export type { BuiltinCaManagerOptions } from './ca-signer/builtin-ca.manager';
export { ProvidedCaManager } from './ca-signer/provided-ca.manager';
export { CaRegistry } from './ca-signer/ca-registry';
export { ValidateMtlsUseCase } from './ca-signer/validate-mtls.use-case';
export { EnsureCaBackendsUseCase } from './ca-signer/ensure-ca-backends.use-case';
export { IssueCertificateUseCase } from './ca-signer/issue-certificate.use-case';
export {
  AdmissionController,
  AdmissionOptionsError,
  DEFAULT_ADMISSION,
  IssuePriority,
} from './ca-signer/admission-controller';
export type { AdmissionOptions, AdmissionResult } from './ca-signer/admission-controller';
export { TrustBundleQuery } from './ca-signer/trust-bundle.query';
export { IssueRequestLedger } from './ca-signer/issue-request.ledger';
export type { IssueRequestLedgerOptions } from './ca-signer/issue-request.ledger';

// ── mesh-api: resources, its client of ca-signer, dataplanes, tokens, insight queries ──
export { ApplyResourceUseCase } from './mesh-api/resources/apply-resource.use-case';
export type { ApplyResourceCommand, ApplyResourceResult } from './mesh-api/resources/apply-resource.use-case';
export { DeleteResourceUseCase } from './mesh-api/resources/delete-resource.use-case';
export {
  ResourceQueries,
  parsePageRequest,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
} from './mesh-api/resources/resource-queries';
export type { PageRequest } from './mesh-api/resources/resource-queries';
export { BusMeshCaGateway } from './mesh-api/ca-gateway/mesh-ca.gateway';
export type { MeshCaGateway } from './mesh-api/ca-gateway/mesh-ca.gateway';
export { StreamStatus, StreamRefusedError } from './mesh-api/dataplanes/dataplane-channel.port';
export type { DataplaneChannel } from './mesh-api/dataplanes/dataplane-channel.port';
export { DataplaneTokenError, TOKEN_REFUSALS } from './mesh-api/dataplanes/dataplane-token.port';
export type {
  DataplaneTokenClaims,
  DataplaneTokenVerifier,
  TokenRefusal,
} from './mesh-api/dataplanes/dataplane-token.port';
export { BusIdentityIssuer, IssueDeadlineError, issueWithCsr } from './mesh-api/dataplanes/identity-issuer';
export {
  IssuedIdentityRejectedError,
  IssuedIdentityVerifier,
} from './mesh-api/dataplanes/issued-identity.verifier';
export { VerifyingIdentityIssuer } from './mesh-api/dataplanes/verifying-identity.issuer';
export type {
  IdentityIssuer,
  IssuedIdentity,
  IssueIdentityCommand,
  BusIdentityIssuerOptions,
  SignCommand,
} from './mesh-api/dataplanes/identity-issuer';
export {
  DataplaneSession,
  CsrTimeoutError,
  SessionClosedError,
} from './mesh-api/dataplanes/dataplane-session';
export { admitDataplane } from './mesh-api/dataplanes/connect-dataplane';
export type { DataplaneAuthorizer, AdmittedDataplane } from './mesh-api/dataplanes/connect-dataplane';
export { DataplaneHub } from './mesh-api/dataplanes/dataplane-hub';
export type {
  DataplaneHubDeps,
  HubObserver,
  LimitedIssuance,
  RotateOutcome,
} from './mesh-api/dataplanes/dataplane-hub';
export { IssuanceRateLimiter, IssuanceLimitError } from './mesh-api/dataplanes/issuance-rate-limiter';
export type { IssuanceDecision } from './mesh-api/dataplanes/issuance-rate-limiter';
export { DataplaneTokenService } from './mesh-api/tokens/dataplane-token.service';
export { tokenAllows } from './mesh-api/tokens/dataplane-token.rules';
export { parseDataplaneTokenRequest } from './mesh-api/tokens/dataplane-token-request.parser';
export { DATAPLANE_TOKEN_VALIDITY, validateIssueCommand } from './mesh-api/tokens/dataplane-token.validation';
export type {
  IssueDataplaneTokenCommand,
  CheckedIssueCommand,
} from './mesh-api/tokens/dataplane-token.validation';
export { signingKeySecretName, signingKeySerialOf } from './mesh-api/tokens/signing-key-names.rules';
export { SigningKeyInvalidError } from './mesh-api/tokens/tokens.errors';
export { InsightQueries } from './mesh-api/insights/insight-queries';
export type { DataplaneOverview, MeshInsight } from './mesh-api/insights/insight-queries';

// ── rotation: the rotation-scheduler's scheduler and loop ──
export { RotationScheduler, RotationOptionsError, ROTATION_DEFAULTS } from './rotation/rotation-scheduler';
export type {
  RotationSchedulerOptions,
  RotationTickReport,
  RotationLogLevel,
} from './rotation/rotation-scheduler';
export { RotationLoop } from './rotation/rotation-loop';
export type { RotationLoopOptions, LoopTimers, Tickable } from './rotation/rotation-loop';

// ── insights: the stats-collector's recorder ──
export { DataplaneInsightRecorder } from './insights/dataplane-insight.recorder';
export type { CertificateEvent, ConnectionEvent } from './insights/dataplane-insight.recorder';
