// The public names of ca-signer/: the CA backends, admission and the signing side of issuance.
export { BuiltinCaManager } from './builtin-ca.manager';
export { ProvidedCaManager } from './provided-ca.manager';
export { CaRegistry } from './ca-registry';
export { ValidateMtlsUseCase } from './validate-mtls.use-case';
export { EnsureCaBackendsUseCase } from './ensure-ca-backends.use-case';
export { IssueCertificateUseCase } from './issue-certificate.use-case';
export { AdmissionController, DEFAULT_ADMISSION, IssuePriority } from './admission-controller';
export type { AdmissionOptions } from './admission-controller';
export { TrustBundleQuery } from './trust-bundle.query';
export { IssueRequestLedger } from './issue-request.ledger';
