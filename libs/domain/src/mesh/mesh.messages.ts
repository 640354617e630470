import { FieldPath } from '../validation/field-path';

export const MeshMessages = {
  enabledBackendUnknown: 'has to be set to one of the backends in the mesh',
  caReplacedOutright: (issuing: string) =>
    `Changing CA when mTLS is enabled is forbidden unless the enabled backend ${JSON.stringify(issuing)} stays listed: ` +
    `list the new backend beside it and switch enabledBackend, then remove ${JSON.stringify(issuing)} in a later update; or disable mTLS first`,
  unknownBackendType: 'could not find installed plugin for this type',
  nameAlreadyUsed: (name: string) => `${JSON.stringify(name)} name is already used for another backend`,
  /** Kuma's builtin plugin check on the Secret names a backend's CA is kept under. */
  builtinNameNotDns: (name: string) => `${JSON.stringify(name)} name must be valid dns name`,
  builtinNameTooLong: (max: number) => `Backend name is too long. Max length: ${max}`,
  storedNotEnforced: 'stored, not enforced by meshtls',
  confFieldKept: 'not a field of this backend type: stored as given (Kuma keeps it too), not used',
} as const;

/**
 * Kuma reports a bad dataplane certificate duration on this path, without the backend's index
 * (`mesh_validator.go`); kept so a Kuma user's tooling finds it where it looks.
 */
export const DP_CERT_EXPIRATION_PATH = FieldPath.at('mtls')
  .field('dpcert')
  .field('rotation')
  .field('expiration');

/** Kuma's builtin plugin re-rooted under the backend's `conf`: `mtls.backends[0].conf.mtls.backends.name`. */
export function builtinNamePath(index: number): FieldPath {
  return FieldPath.at('mtls')
    .field('backends')
    .index(index)
    .field('conf')
    .field('mtls')
    .field('backends')
    .field('name');
}
