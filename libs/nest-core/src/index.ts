export { loadCoreConfig, RUN_MODES } from './config/core-config';
export { parseEnvironment } from './config/environment';
export type { CoreConfig, RunMode } from './config/core-config';
export { CoreModule } from './core.module';
export type { CoreModuleOptions } from './core.module';
export { createInfrastructure } from './infra/infrastructure';
export type { Infrastructure } from './infra/infrastructure';
export { ApiError, apiErrorBody } from './http/api-error';
export type { ApiCause, ApiErrorBody } from './http/api-error';
export { ApiErrorFilter } from './http/api-error.filter';
export type { AllowedMethods } from './http/api-error.filter';
export { toApiError } from './http/error-mapping';
export { bootstrapHttpApp, configureHttpApp, HTTP_APP_OPTIONS, MAX_BODY_BYTES } from './http/bootstrap';
export { runProcess } from './http/run-process';
export type { ProcessSpec } from './http/run-process';
export type { BootstrapOptions } from './http/bootstrap';
export {
  CORE_CONFIG,
  CLOCK,
  INFRASTRUCTURE,
  RESOURCE_STORE,
  LEASE_STORE,
  MESSAGE_BUS,
  SECRET_CIPHER,
  INSTANCE_INFO,
  METRICS,
  HEALTH_DEGRADATIONS,
} from './tokens';
export { HealthDegradations } from './health/health-degradations';
export type { Degradation } from './health/health-degradations';
export type { InstanceInfo } from './tokens';
