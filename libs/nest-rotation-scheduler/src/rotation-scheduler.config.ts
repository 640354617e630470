import { ROTATION_DEFAULTS } from '@meshtls/application';
import { z } from 'zod';
import { parseEnvironment } from '@meshtls/nest-core';

/** rotation-scheduler's own settings: how often and how much it rotates per pass. */
export interface RotationSchedulerConfig {
  /** Pause between passes over the due leases (a pass that read a full batch is followed at once). */
  readonly intervalMs: number;
  /** Due leases read per pass. */
  readonly batchSize: number;
  /** How long a claimed rotation is this replica's before another may retry it. */
  readonly claimTtlMs: number;
  /** Rotate requests in flight at once. */
  readonly concurrency: number;
}

/** Below this, polling the lease store costs more than the seconds of lateness it saves. */
const MIN_INTERVAL_MS = 50;
const DEFAULT_INTERVAL_MS = 1000;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const envSchema = z.object({
  MESH_ROTATION_INTERVAL_MS: int(MIN_INTERVAL_MS, 3600_000).default(DEFAULT_INTERVAL_MS),
  MESH_ROTATION_BATCH: int(1, 100_000).default(ROTATION_DEFAULTS.batchSize),
  MESH_ROTATION_CLAIM_TTL_MS: int(1000, 3600_000).default(ROTATION_DEFAULTS.claimTtlMs),
  MESH_ROTATION_CONCURRENCY: int(1, 10_000).default(ROTATION_DEFAULTS.concurrency),
});

/**
 * Parses rotation-scheduler's variables; a bad value stops start-up with a message naming it, e.g.
 * `MESH_ROTATION_INTERVAL_MS: Too small: expected number to be >=50`.
 */
export function loadRotationSchedulerConfig(
  env: Record<string, string | undefined>,
): RotationSchedulerConfig {
  const e = parseEnvironment(envSchema, env);
  return Object.freeze({
    intervalMs: e.MESH_ROTATION_INTERVAL_MS,
    batchSize: e.MESH_ROTATION_BATCH,
    claimTtlMs: e.MESH_ROTATION_CLAIM_TTL_MS,
    concurrency: e.MESH_ROTATION_CONCURRENCY,
  });
}
