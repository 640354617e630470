// Mesh: its mTLS backends, their defaults, the secrets they reference and the private keys inlined in them.
export { MtlsBackendType, STORED_ONLY_SECTIONS } from './mesh.types';
export { MeshMessages, builtinNamePath } from './mesh.validator';
export { MeshSectionMessages } from './mesh-sections.validator';
export type {
  MeshSpec,
  MtlsSpec,
  MtlsBackend,
  BuiltinMtlsBackend,
  ProvidedMtlsBackend,
  DataSource,
  StoredOnly,
  StoredOnlySection,
} from './mesh.types';
export { enabledBackendOf, dpCertValidityMs, caCertRsaBitsOf, caCertValidityMs } from './mesh-defaults';
export { secretReferencesOf, secretInUseMessage } from './secret-references.rules';
export { mapMeshInlineKeys, withoutPrivateKeys } from './mesh-private-keys.rules';
export type { InlineKeyLocation } from './mesh-private-keys.rules';
export { meshMtlsView, meshChangeAction, mtlsReplacementViolation } from './mesh-mtls.rules';
export type { MeshMtlsView } from './mesh-mtls.rules';
