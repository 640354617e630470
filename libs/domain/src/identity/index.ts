// Identity: a dataplane's SPIFFE identity, the builtin CA's secret names, the key types, certificate facts.
export { dataplaneIdentity, identityUris, meshTrustDomainUri } from './dataplane-identity.rules';
export { dataplaneCertificateProfile } from './dataplane-certificate.profile';
export type { DataplaneCertificateProfile } from './dataplane-certificate.profile';
export {
  builtinCaCertSecretName,
  builtinCaKeySecretName,
  builtinCaSecretNames,
} from './builtin-ca-secrets.rules';
export { KEY_TYPES, KeyType } from './key-types';
export type { CertificateFacts } from './certificate-facts';
