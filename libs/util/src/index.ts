// Errors, clocks, degradation reports and list helpers every lib uses.
export { MeshError, RemoteError, TimeoutError, InvalidMessageError, ConfigError } from './mesh-error';
export { systemClock, FakeClock } from './clock';
export type { Clock } from './clock';
export type { DegradationReporter } from './degradations';
export { sameList } from './lists';
export { backoffDelay, retryWithBackoff } from './backoff';
export type { BackoffPolicy, RetryOptions } from './backoff';
