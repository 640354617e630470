// Errors, clocks, degradation and rejected-value reports and list helpers every lib uses.
export { MeshError, RemoteError, TimeoutError, InvalidMessageError, ConfigError } from './mesh-error';
export { CredentialsRefusedError } from './credentials-refused.error';
export { systemClock, FakeClock } from './clock';
export type { Clock } from './clock';
export type { DegradationReporter } from './degradations';
export type { RejectedValue, RejectionObserver, RejectionSource } from './rejected-values';
export { sameList } from './lists';
export { backoffDelay, retryWithBackoff } from './backoff';
export type { BackoffPolicy, RetryOptions } from './backoff';
