import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { RotationLoop, RotationScheduler, type RotationTickReport } from '@meshtls/application';
import {
  CLOCK,
  CORE_CONFIG,
  HEALTH_DEGRADATIONS,
  LEASE_STORE,
  MESSAGE_BUS,
  METRICS,
  type CoreConfig,
} from '@meshtls/nest-core';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LeaseStore, MessageBus } from '@meshtls/store';
import type { Clock, DegradationReporter } from '@meshtls/util';
import type { RotationSchedulerConfig } from './rotation-scheduler.config';
import { ROTATION_SCHEDULER_CONFIG } from './rotation-scheduler.tokens';

/** A failing pass makes the scheduler not ready (it would rotate nothing) until a pass succeeds again. */
export const ROTATION_PASS_SOURCE = 'rotation:pass';

/** Drives the rotation loop for the life of the process, one summary line per pass that did work. */
@Injectable()
export class RotationSchedulerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('rotation');
  private readonly loop: RotationLoop;
  private readonly rotations: Counter<'result'>;

  constructor(
    @Inject(ROTATION_SCHEDULER_CONFIG) config: RotationSchedulerConfig,
    @Inject(CORE_CONFIG) core: CoreConfig,
    @Inject(LEASE_STORE) leases: LeaseStore,
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(CLOCK) clock: Clock,
    @Inject(METRICS) metrics: Registry,
    @Inject(HEALTH_DEGRADATIONS) private readonly degradations: DegradationReporter,
  ) {
    this.rotations = rotationMetrics(metrics, leases, clock);
    const scheduler = new RotationScheduler({
      leases,
      bus,
      clock,
      schedulerId: core.instanceId,
      batchSize: config.batchSize,
      claimTtlMs: config.claimTtlMs,
      concurrency: config.concurrency,
      log: (level, message) => this.logger[level === 'info' ? 'log' : level](message),
    });
    this.loop = new RotationLoop(scheduler, {
      intervalMs: config.intervalMs,
      onTick: (report) => {
        this.degradations.clear(ROTATION_PASS_SOURCE);
        this.report(report);
      },
      onError: (error) => {
        const reason = `rotation pass failed: ${(error as Error).message}`;
        this.degradations.report(ROTATION_PASS_SOURCE, reason);
        this.logger.warn(reason);
      },
    });
  }

  /** After every module's init, so the stores and the bus are ready before the first pass. */
  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /**
   * Before CoreModule closes the stores and the bus (in its onApplicationShutdown): the pass in
   * progress finishes with them still open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  private report(r: RotationTickReport): void {
    this.rotations.inc({ result: 'rotated' }, r.rotated);
    this.rotations.inc({ result: 'stale' }, r.stale);
    this.rotations.inc({ result: 'not-connected' }, r.notConnected);
    this.rotations.inc({ result: 'unreachable' }, r.unreachable);
    this.rotations.inc({ result: 'refused' }, r.refused);
    this.rotations.inc({ result: 'failed' }, r.failed);
    if (r.claimed === 0 && r.failed === 0) return;
    const late = r.latestMs >= OVERDUE_AFTER_MS || r.expired > 0;
    const line =
      `rotation pass: ${r.due} due, ${r.claimed} claimed, ${r.rotated} rotated, ${r.stale} stale, ` +
      `${r.notConnected} not connected, ${r.unreachable} unreachable, ${r.refused} refused, ${r.failed} failed in ${r.durationMs} ms` +
      (late
        ? `; latest ${Math.round(r.latestMs / 1000)} s after its rotation time, ${r.expired} expired`
        : '');
    if (r.unreachable > 0 || r.refused > 0 || r.failed > 0 || late) this.logger.log(line);
    else this.logger.debug(line);
  }
}

/** Leases counted per scrape up to this many (the store lists, it does not count). */
const COUNT_LIMIT = 10_000;
/** A lease this long past its rotation point is overdue: rotation is not keeping up, or failing. */
export const OVERDUE_AFTER_MS = 5 * 60_000;

/** Rotations asked for by result, and the leases due and overdue now (read from the store per scrape). */
function rotationMetrics(registry: Registry, leases: LeaseStore, clock: Clock): Counter<'result'> {
  new Gauge({
    name: 'mesh_rotation_leases_due',
    help: `Certificates past their rotation point (counted up to ${COUNT_LIMIT})`,
    registers: [registry],
    async collect() {
      this.set((await leases.listDue(clock.now(), COUNT_LIMIT)).length);
    },
  });
  new Gauge({
    name: 'mesh_rotation_leases_overdue',
    help: `Certificates more than ${OVERDUE_AFTER_MS / 60_000} minutes past their rotation point`,
    registers: [registry],
    async collect() {
      const before = new Date(clock.now().getTime() - OVERDUE_AFTER_MS);
      this.set((await leases.listDue(before, COUNT_LIMIT)).length);
    },
  });
  return new Counter({
    name: 'mesh_rotations_total',
    help: 'Rotations this scheduler asked for, by result (rotated, stale, not-connected, unreachable, refused, failed)',
    labelNames: ['result'],
    registers: [registry],
  });
}
