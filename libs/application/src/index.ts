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
export { DataSourceReader, nodeFileReader } from './ca/data-source.reader';
export type { FileReader } from './ca/data-source.reader';
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
export { IssueCertificateUseCase } from './ca/issue-certificate.use-case';
export type { IssueCertificateCommand, IssueCertificateResult } from './ca/issue-certificate.use-case';
export { BusMeshCaGateway } from './ca/mesh-ca.gateway';
export type { MeshCaGateway } from './ca/mesh-ca.gateway';
export {
  AdmissionController,
  AdmissionOptionsError,
  DEFAULT_ADMISSION,
  IssuePriority,
} from './ca/admission-controller';
export type { AdmissionOptions, AdmissionResult, Timers } from './ca/admission-controller';
