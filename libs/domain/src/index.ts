// Resource kinds, keys and the errors a resource operation raises.
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
export type { ResourceKey, ResourceRecord } from './resource';
export {
  ValidationError,
  ResourceNotFoundError,
  ResourceAlreadyExistsError,
  ResourceConflictError,
} from './errors';
export type { Violation } from './errors';

// Reading and validating resources in the universal (YAML/JSON) format.
export { parseResource } from './universal/parse-resource';
export type { ParsedResource } from './universal/parse-resource';
export { toUniversal } from './universal/to-universal';
export { storedSpecViolations } from './universal/stored-spec.validator';
export { parseDuration } from './duration';
export { FieldPath } from './validation/field-path';
export { forbiddenKeyViolations } from './validation/forbidden-keys';
export { ValidationContext } from './validation/validation-context';
export { NameLimits, isValidResourceName, validateResourceName } from './validation/resource-name.validator';
export { SERVICE_TAG } from './validation/tags.validator';
export type { Tags } from './validation/tags.validator';

// Mesh: its mTLS backends, their defaults, the secrets they reference and the private keys inlined in them.
export { MtlsBackendType } from './mesh/mesh.types';
export type {
  MeshSpec,
  MtlsSpec,
  MtlsBackend,
  BuiltinMtlsBackend,
  ProvidedMtlsBackend,
  DataSource,
} from './mesh/mesh.types';
export { enabledBackendOf, dpCertValidityMs, caCertRsaBitsOf, caCertValidityMs } from './mesh/mesh-defaults';
export { secretReferencesOf, secretInUseMessage } from './mesh/secret-references.rules';
export { mapMeshInlineKeys, withoutPrivateKeys } from './mesh/mesh-private-keys.rules';
export type { InlineKeyLocation } from './mesh/mesh-private-keys.rules';
export { meshMtlsView, meshChangeAction } from './mesh/mesh-mtls.rules';
export type { MeshMtlsView } from './mesh/mesh-mtls.rules';

// Secret.
export type { SecretSpec } from './secret/secret.types';
export { secretBytes } from './secret/secret.validator';

// Dataplane and the endpoints it reaches.
export type { DataplaneSpec, Inbound } from './dataplane/dataplane.types';
export { endpointsOf, outboundServicesOf } from './dataplane/dataplane-endpoints.rules';
export type { ServiceEndpoint } from './dataplane/dataplane-endpoints.rules';

// MeshTrafficPermission and the traffic decisions it makes.
export type { MeshTrafficPermissionSpec } from './mesh-traffic-permission/mesh-traffic-permission.types';
export {
  clientIdentityOf,
  decideTraffic,
  permissionsFor,
  permissionSelects,
  dataplanesOverPermissionLimit,
} from './mesh-traffic-permission/traffic-permission.rules';
export type { NamedPermission } from './mesh-traffic-permission/traffic-permission.rules';

// Identity: a dataplane's SPIFFE identity, the builtin CA's secret names, the key types, certificate facts.
export { dataplaneIdentity, identityUris, meshTrustDomainUri } from './identity/dataplane-identity.rules';
export { dataplaneCertificateProfile } from './identity/dataplane-certificate.profile';
export type { DataplaneCertificateProfile } from './identity/dataplane-certificate.profile';
export {
  builtinCaCertSecretName,
  builtinCaKeySecretName,
  builtinCaSecretNames,
} from './identity/builtin-ca-secrets.rules';
export { KEY_TYPES, KeyType } from './identity/key-types';
export type { CertificateFacts } from './identity/certificate-facts';

// Rotation: when a certificate is due, renewal and the issuance limit.
export {
  rotateAtOf,
  certificateState,
  renewAtOf,
  dataplaneIdentityChanged,
  rotationRequestVerdict,
  issuanceRatePerMinute,
  ISSUANCE_LIMIT_DEFAULTS,
} from './rotation/rotation.rules';
export type { IssuanceLimit, CertificateTimes } from './rotation/rotation.rules';

// Insights: a dataplane's connections and certificates, a mesh's summary.
export {
  EMPTY_INSIGHT,
  meshInsightOf,
  withCertificateIssued,
  withCertificateWithdrawn,
  withConnected,
  withDisconnected,
} from './insights/dataplane-insight.rules';
export type { DataplaneInsightSpec, MeshInsightSummary } from './insights/dataplane-insight.rules';
