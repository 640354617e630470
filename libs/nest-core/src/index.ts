// Configuration read from the environment.
export { loadCoreConfig } from './config/core-config';
export { durationSetting, parseEnvironment } from './config/environment';
export type { CoreConfig } from './config/core-config';

// The core module and the tokens it provides; what a role module configured at import returns.
export { CoreModule } from './core.module';
export {
  CORE_CONFIG,
  CLOCK,
  RESOURCE_STORE,
  LEASE_STORE,
  MESSAGE_BUS,
  SECRET_CIPHER,
  METRICS,
  HEALTH_DEGRADATIONS,
} from './tokens';
export { HealthDegradations } from './health/health-degradations';
export { configuredModule } from './configured-module';

// Metrics: a role declares its metrics in the process's registry (METRICS).
export { metricsIn, type RegisteredMetrics } from './metrics/registered-metrics';

// HTTP: API errors and their filter, running a role's process.
export { ApiError } from './http/api-error';
export { ApiErrorFilter } from './http/api-error.filter';
export { ErrorTitles, toApiError } from './http/error-mapping';
export { runProcess, type RoleModules } from './http/run-process';
