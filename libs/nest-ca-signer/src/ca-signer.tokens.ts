export const CA_SIGNER_CONFIG = Symbol('CaSignerConfig');
export const CA_REGISTRY = Symbol('CaRegistry');
export const ADMISSION = Symbol('AdmissionController');
export const VALIDATE_MTLS = Symbol('ValidateMtlsUseCase');
export const ENSURE_CA = Symbol('EnsureCaBackendsUseCase');
export const ISSUE_CERTIFICATE = Symbol('IssueCertificateUseCase');
