export {
  ResourceType,
  RESOURCE_DESCRIPTORS,
  ALL_RESOURCE_TYPES,
  WRITABLE_RESOURCE_TYPES,
  isResourceType,
  descriptorForCollection,
  descriptorForAlias,
} from './resource-types';
export type { ResourceDescriptor } from './resource-types';
export { formatKey } from './resource';
export type { ResourceKey, ResourceMeta, ResourceRecord } from './resource';
export {
  ValidationError,
  ResourceNotFoundError,
  ResourceAlreadyExistsError,
  ResourceConflictError,
} from './errors';
export type { Violation } from './errors';
export { parseResource } from './universal/parse-resource';
export type { ParsedResource } from './universal/parse-resource';
export { toUniversal } from './universal/to-universal';
export { storedSpecViolations } from './universal/stored-spec.validator';
export { parseDuration, formatDuration } from './duration';
export { FieldPath } from './validation/field-path';
export { FORBIDDEN_KEYS, forbiddenKeyViolations } from './validation/forbidden-keys';
export { ValidationContext } from './validation/validation-context';
export { NameLimits, isValidResourceName, validateResourceName } from './validation/resource-name.validator';
export { SERVICE_TAG, PROTOCOL_TAG, SUPPORTED_PROTOCOLS } from './validation/tags.validator';
export type { Tags } from './validation/tags.validator';
export { MtlsBackendType, MtlsMode } from './mesh/mesh.types';
export type {
  MeshSpec,
  MtlsSpec,
  MtlsBackend,
  BuiltinMtlsBackend,
  ProvidedMtlsBackend,
  BuiltinCaConf,
  ProvidedCaConf,
  DataSource,
  DpCertSpec,
} from './mesh/mesh.types';
export {
  MTLS_DEFAULTS,
  RSA_BITS_LIMITS,
  enabledBackendOf,
  backendModeOf,
  dpCertValidityMs,
  caCertRsaBitsOf,
  caCertValidityMs,
} from './mesh/mesh-defaults';
export type { SecretSpec } from './secret/secret.types';
export { secretBytes } from './secret/secret.validator';
export type { DataplaneSpec, DataplaneNetworking, Inbound, Outbound } from './dataplane/dataplane.types';
export { TargetRefKind, TrafficAction } from './mesh-traffic-permission/mesh-traffic-permission.types';
export type {
  MeshTrafficPermissionSpec,
  MeshTrafficPermissionFrom,
  TargetRef,
} from './mesh-traffic-permission/mesh-traffic-permission.types';
export type { ResourceSpecByType, SpecOf } from './universal/resource-specs';
export {
  dataplaneIdentity,
  identityUris,
  meshTrustDomainUri,
  serviceSpiffeId,
  tagUri,
} from './identity/dataplane-identity.rules';
export type { DataplaneIdentity } from './identity/dataplane-identity.rules';
export {
  builtinCaCertSecretName,
  builtinCaKeySecretName,
  builtinCaSecretNames,
} from './identity/builtin-ca-secrets.rules';
export { MissingServiceTagError } from './identity/identity.errors';
export { KEY_TYPES, KeyType } from './identity/key-types';
export type { CertificateFacts } from './identity/certificate-facts';
export { secretReferencesOf, secretInUseMessage } from './mesh/secret-references.rules';
export { REDACTED_VALUE, mapMeshInlineKeys, withoutPrivateKeys } from './mesh/mesh-private-keys.rules';
export type { InlineKeyLocation } from './mesh/mesh-private-keys.rules';
export type { SecretReference } from './mesh/secret-references.rules';
export { meshMtlsView, meshChangeAction } from './mesh/mesh-mtls.rules';
export type { MeshMtlsView, MeshChangeAction } from './mesh/mesh-mtls.rules';
export {
  ROTATION_FRACTION,
  rotateAtOf,
  isRotationDue,
  certificateState,
  RENEWAL_GRACE_FRACTION,
  RENEWAL_GRACE_MIN_MS,
  RENEWAL_LATEST_FRACTION,
  renewalGraceMs,
  renewAtOf,
  dataplaneIdentityChanged,
  rotationRequestVerdict,
  issuanceRatePerMinute,
  ISSUANCE_LIMIT_DEFAULTS,
  MIN_ISSUANCES_PER_ROTATION,
} from './rotation/rotation.rules';
export type {
  RotationRequestVerdict,
  IssuanceLimit,
  CertificateState,
  CertificateTimes,
} from './rotation/rotation.rules';
export {
  clientIdentityOf,
  decideTraffic,
  permissionsFor,
  permissionSelects,
  dataplanesOverPermissionLimit,
  serverInboundsOf,
} from './mesh-traffic-permission/traffic-permission.rules';
export { endpointsOf, outboundServicesOf } from './dataplane/dataplane-endpoints.rules';
export type { ServiceEndpoint } from './dataplane/dataplane-endpoints.rules';
export type {
  ClientIdentity,
  ServerInbound,
  NamedPermission,
  TrafficDecision,
} from './mesh-traffic-permission/traffic-permission.rules';
export {
  EMPTY_INSIGHT,
  MAX_SUBSCRIPTIONS,
  isOnline,
  lastConnected,
  meshInsightOf,
  withCertificateIssued,
  withCertificateWithdrawn,
  withConnected,
  withDisconnected,
} from './insights/dataplane-insight.rules';
export type {
  CertificateIssuedEvent,
  DataplaneInsightSpec,
  DataplaneMtlsInsight,
  DataplaneSubscription,
  StreamEndedReason,
  MeshInsightSummary,
  OnlineCounts,
} from './insights/dataplane-insight.rules';
