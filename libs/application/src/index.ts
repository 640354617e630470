// ── ports: the contract between mesh-api and ca-signer (what crosses the bus, the errors both sides map) ──
export { MeshNotFoundError } from './ports/ca.errors';
export { StaleIssueRequestError } from './ports/issue-certificate.contract';
export type { IssueCertificateResult } from './ports/issue-certificate.contract';

// ── shared: code more than one role runs ──
export { DataSourceReader } from './shared/data-source.reader';
export { MtlsKeySeal, UnsealedKeyError } from './shared/mtls-key-seal';

// ── ca-signer: the CA backends, admission and the signing side of issuance ──
export { BuiltinCaManager } from './ca-signer/builtin-ca.manager';
export { ProvidedCaManager } from './ca-signer/provided-ca.manager';
export { CaRegistry } from './ca-signer/ca-registry';
export { ValidateMtlsUseCase } from './ca-signer/validate-mtls.use-case';
export { EnsureCaBackendsUseCase } from './ca-signer/ensure-ca-backends.use-case';
export { IssueCertificateUseCase } from './ca-signer/issue-certificate.use-case';
export { AdmissionController, DEFAULT_ADMISSION, IssuePriority } from './ca-signer/admission-controller';
export type { AdmissionOptions } from './ca-signer/admission-controller';
export { TrustBundleQuery } from './ca-signer/trust-bundle.query';
export { IssueRequestLedger } from './ca-signer/issue-request.ledger';

// ── mesh-api: resources, its client of ca-signer, dataplanes, tokens, insight queries ──
export { ApplyResourceUseCase } from './mesh-api/resources/apply-resource.use-case';
export { DeleteResourceUseCase } from './mesh-api/resources/delete-resource.use-case';
export { ResourceQueries, parsePageRequest } from './mesh-api/resources/resource-queries';
export { BusMeshCaGateway } from './mesh-api/ca-gateway/mesh-ca.gateway';
export type { MeshCaGateway } from './mesh-api/ca-gateway/mesh-ca.gateway';
export { StreamStatus, StreamRefusedError } from './mesh-api/dataplanes/dataplane-channel.port';
export type { DataplaneChannel } from './mesh-api/dataplanes/dataplane-channel.port';
export type { DataplaneTokenVerifier } from './mesh-api/dataplanes/dataplane-token.port';
export { BusIdentityIssuer } from './mesh-api/dataplanes/identity-issuer';
export { IssuedIdentityVerifier } from './mesh-api/dataplanes/issued-identity.verifier';
export { VerifyingIdentityIssuer } from './mesh-api/dataplanes/verifying-identity.issuer';
export type { IdentityIssuer, SignCommand } from './mesh-api/dataplanes/identity-issuer';
export { DataplaneSession } from './mesh-api/dataplanes/dataplane-session';
export type { DataplaneAuthorizer } from './mesh-api/dataplanes/connect-dataplane';
export { DataplaneHub } from './mesh-api/dataplanes/dataplane-hub';
export type { HubObserver } from './mesh-api/dataplanes/dataplane-hub';
export { DataplaneTokenService } from './mesh-api/tokens/dataplane-token.service';
export { tokenAllows } from './mesh-api/tokens/dataplane-token.rules';
export { parseDataplaneTokenRequest } from './mesh-api/tokens/dataplane-token-request.parser';
export { InsightQueries } from './mesh-api/insights/insight-queries';

// ── rotation: the rotation-scheduler's scheduler and loop ──
export { RotationScheduler, ROTATION_DEFAULTS } from './rotation/rotation-scheduler';
export type { RotationTickReport } from './rotation/rotation-scheduler';
export { RotationLoop } from './rotation/rotation-loop';

// ── insights: the stats-collector's recorder ──
export { DataplaneInsightRecorder } from './insights/dataplane-insight.recorder';
export type { CertificateEvent, ConnectionEvent } from './insights/dataplane-insight.recorder';
