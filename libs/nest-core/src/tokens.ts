/** Injection tokens of the shared infrastructure (ports are interfaces, so they need tokens). */
export const CORE_CONFIG = Symbol('CoreConfig');
export const CLOCK = Symbol('Clock');
export const INFRASTRUCTURE = Symbol('Infrastructure');
export const RESOURCE_STORE = Symbol('ResourceStore');
export const LEASE_STORE = Symbol('LeaseStore');
export const MESSAGE_BUS = Symbol('MessageBus');
/** The at-rest SecretEncryption port, a SecretCipher (see Infrastructure.cipher). */
export const SECRET_CIPHER = Symbol('SecretCipher');
export const INSTANCE_INFO = Symbol('InstanceInfo');
/** The process's HealthDegradations: anything reported there makes `/health/ready` answer 503. */
export const HEALTH_DEGRADATIONS = Symbol('HealthDegradations');
/** The process's prom-client Registry: every role registers its metrics there; served at /metrics. */
export const METRICS = Symbol('Metrics');

/** Who this process is: its id, the roles it runs, when it started. */
export interface InstanceInfo {
  readonly instanceId: string;
  readonly roles: readonly string[];
  readonly startedAt: string;
}
