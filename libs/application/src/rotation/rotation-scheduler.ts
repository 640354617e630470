import { addressedTo, rotateDataplane } from '@meshtls/contracts';
import type { MessageBus } from '@meshtls/bus';
import type { Lease, LeaseStore } from '@meshtls/store';
import { MeshError, TimeoutError, type Clock } from '@meshtls/util';

/** Defaults of {@link RotationSchedulerOptions}. */
export const ROTATION_DEFAULTS = Object.freeze({
  batchSize: 500,
  claimTtlMs: 15_000,
  concurrency: 64,
} as const);

export type RotationLogLevel = 'debug' | 'info' | 'warn';

export interface RotationSchedulerOptions {
  readonly leases: LeaseStore;
  readonly bus: MessageBus;
  readonly clock: Clock;
  /** Names this scheduler in claims (the instance id): claims are what keep replicas from doubling up. */
  readonly schedulerId: string;
  /** Due leases read per tick, earliest first. */
  readonly batchSize?: number;
  /** How long a claimed rotation is this scheduler's; one that did not succeed is retried after it. */
  readonly claimTtlMs?: number;
  /** Rotate requests in flight at once. */
  readonly concurrency?: number;
  readonly log?: (level: RotationLogLevel, message: string) => void;
}

/**
 * What one tick did. Every claimed lease lands in exactly one of the outcome counters; a claim that
 * could not be taken (store error) counts as failed without being claimed.
 */
export interface RotationTickReport {
  /** Due leases read (at most the batch size). */
  readonly due: number;
  /** Those this scheduler claimed; the others were being rotated by another scheduler. */
  readonly claimed: number;
  readonly rotated: number;
  /** The dataplane already had another certificate. */
  readonly stale: number;
  /** Its holder no longer had the dataplane: the lease was deleted (unless replaced meanwhile). */
  readonly notConnected: number;
  /** No answer from the holder: retried once the claim expires. */
  readonly unreachable: number;
  /**
   * The holder refused: by its clock the lease is not due yet, or the dataplane's issuance rate is used
   * up. Retried once the claim expires (or later, when the holder says so).
   */
  readonly refused: number;
  /** The holder could not rotate, or something else went wrong: retried once the claim expires. */
  readonly failed: number;
  /**
   * How late the latest rotation asked for was, past its rotation time (0 when none was claimed): after
   * an outage of every scheduler, how long certificates waited. Overdue leases are rotated like any due
   * one, earliest rotation time first.
   */
  readonly latestMs: number;
  /**
   * Claimed leases whose certificate had expired by the time its rotation was asked for (read as due,
   * then the request came after `notAfter`): asked for all the same, the holder re-issues it. A lease that
   * expired before any scheduler read it is gone from the store; the replica holding the dataplane's
   * stream re-issues that certificate itself (its lease check).
   */
  readonly expired: number;
  readonly durationMs: number;
}

/** Options that cannot work (a zero batch, an empty scheduler id). */
export class RotationOptionsError extends MeshError {
  readonly code = 'rotation.invalid-options';
}

/** What became of one due lease in a tick. */
const OUTCOMES = [
  'unclaimed',
  'claimFailed',
  'rotated',
  'stale',
  'notConnected',
  'unreachable',
  'refused',
  'failed',
] as const;
type Outcome = (typeof OUTCOMES)[number];

/**
 * Finds certificates whose rotation time has passed and asks the mesh-api replica holding each
 * dataplane's stream to re-issue it. Any number of schedulers may share one lease store: a claim per
 * certificate serial makes each due rotation requested once. Stateless between ticks: what is not done
 * stays due in the store and is retried when its claim expires.
 */
export class RotationScheduler {
  readonly batchSize: number;
  private readonly claimTtlMs: number;
  private readonly concurrency: number;
  /**
   * No longer than the claim: past it another scheduler may claim the same rotation, and this one would
   * hold a slot of its batch for an answer nobody waits for.
   */
  private readonly requestTimeoutMs: number;

  constructor(private readonly options: RotationSchedulerOptions) {
    this.batchSize = options.batchSize ?? ROTATION_DEFAULTS.batchSize;
    this.claimTtlMs = options.claimTtlMs ?? ROTATION_DEFAULTS.claimTtlMs;
    this.concurrency = options.concurrency ?? ROTATION_DEFAULTS.concurrency;
    validate(options.schedulerId, this.batchSize, this.claimTtlMs, this.concurrency);
    this.requestTimeoutMs = Math.min(rotateDataplane.timeoutMs, this.claimTtlMs);
  }

  /**
   * One pass: reads the due leases, claims and rotates them with at most `concurrency` requests in
   * flight, and resolves once every claimed one has an outcome. Per-lease errors are counted, never
   * thrown; only a failure to read the due leases rejects.
   */
  async tick(): Promise<RotationTickReport> {
    const started = performance.now();
    const due = await this.options.leases.listDue(this.options.clock.now(), this.batchSize);
    const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    let latestMs = 0;
    let expired = 0;
    await forEachLimited(due, this.concurrency, async (lease) => {
      const outcome = await this.rotateOne(lease, (now) => {
        latestMs = Math.max(latestMs, now - Date.parse(lease.rotateAt));
        if (now >= Date.parse(lease.notAfter)) expired++;
      });
      counts[outcome]++;
    });
    const { unclaimed, claimFailed, ...outcomes } = counts;
    return {
      due: due.length,
      claimed: due.length - unclaimed - claimFailed,
      ...outcomes,
      failed: outcomes.failed + claimFailed,
      latestMs,
      expired,
      durationMs: Math.round(performance.now() - started),
    };
  }

  /**
   * Claims just before sending (not the whole batch up front), so a claim's TTL covers its own request
   * rather than the wait behind the others of the batch.
   */
  private async rotateOne(lease: Lease, requesting: (now: number) => void): Promise<Outcome> {
    const { mesh, dataplane, serial } = lease;
    let claimed: boolean;
    try {
      claimed = await this.options.leases.claim(
        mesh,
        dataplane,
        serial,
        this.options.schedulerId,
        this.claimTtlMs,
      );
    } catch (error) {
      this.log('warn', `${describe(lease)}: could not claim: ${(error as Error).message}`);
      return 'claimFailed';
    }
    if (!claimed) return 'unclaimed';
    requesting(this.options.clock.now().getTime());
    let outcome: Outcome;
    let retryAfterMs = 0;
    try {
      ({ outcome, retryAfterMs = 0 } = await this.request(lease));
    } catch (error) {
      outcome = error instanceof TimeoutError ? 'unreachable' : 'failed';
      if (outcome === 'failed')
        this.log('warn', `${describe(lease)}: rotation failed: ${(error as Error).message}`);
    }
    if (outcome === 'unreachable' || outcome === 'failed' || outcome === 'refused')
      await this.postpone(lease, Math.max(this.claimTtlMs, retryAfterMs));
    return outcome;
  }

  /**
   * Retried after the claim TTL (or `forMs`), out of the way meanwhile: leases nobody can rotate (a
   * holder that restarted under a new boot id) must not fill every batch ahead of live leases.
   */
  private async postpone(lease: Lease, forMs: number): Promise<void> {
    const until = new Date(this.options.clock.now().getTime() + forMs);
    await this.options.leases
      .postpone(lease.mesh, lease.dataplane, lease.serial, until)
      .catch((error: Error) => this.log('warn', `${describe(lease)}: could not postpone: ${error.message}`));
  }

  /** Asks the holder to rotate the lease's certificate, naming it by its serial. */
  private async request(lease: Lease): Promise<{ outcome: Outcome; retryAfterMs?: number }> {
    const { mesh, dataplane, serial } = lease;
    const reply = await this.options.bus.request(
      addressedTo(rotateDataplane, lease.controlPlaneInstance),
      { mesh, dataplane, serial, reason: 'rotation' },
      { timeoutMs: this.requestTimeoutMs },
    );
    switch (reply.status) {
      case 'rotated':
        return { outcome: 'rotated' };
      case 'stale':
        return { outcome: 'stale' };
      case 'not-connected':
        // Gone from its holder: had it reconnected elsewhere, its lease would name a new serial.
        await this.options.leases.deleteIf(mesh, dataplane, serial);
        return { outcome: 'notConnected' };
      case 'not-due':
      case 'rate-limited':
        this.log('debug', `${describe(lease)}: holder refused the rotation (${reply.status})`);
        return { outcome: 'refused', retryAfterMs: reply.retryAfterMs };
      case 'failed':
        this.log('debug', `${describe(lease)}: holder could not rotate: ${reply.detail ?? 'no detail'}`);
        return { outcome: 'failed' };
    }
  }

  private log(level: RotationLogLevel, message: string): void {
    this.options.log?.(level, message);
  }
}

function validate(schedulerId: string, batchSize: number, claimTtlMs: number, concurrency: number): void {
  const problems = [
    schedulerId.length === 0 && 'schedulerId must not be empty',
    !(Number.isInteger(batchSize) && batchSize > 0) &&
      `batchSize must be a positive integer, got ${batchSize}`,
    !(Number.isFinite(claimTtlMs) && claimTtlMs > 0) && `claimTtlMs must be positive, got ${claimTtlMs}`,
    !(Number.isInteger(concurrency) && concurrency > 0) &&
      `concurrency must be a positive integer, got ${concurrency}`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new RotationOptionsError(`invalid rotation options: ${problems.join('; ')}`);
}

function describe(lease: Lease): string {
  return `${lease.mesh}/${lease.dataplane} (serial ${lease.serial}, held by ${lease.controlPlaneInstance})`;
}

/** Runs `fn` over `items` with at most `limit` calls pending; `fn` must not reject. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
