import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { RotationLoop, RotationScheduler, type RotationTickReport } from '@meshtls/application';
import { CLOCK, CORE_CONFIG, LEASE_STORE, MESSAGE_BUS, type CoreConfig } from '@meshtls/nest-core';
import type { LeaseStore, MessageBus } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import type { RotationSchedulerConfig } from './rotation-scheduler.config';
import { ROTATION_SCHEDULER_CONFIG } from './rotation-scheduler.tokens';

/** Drives the rotation loop for the life of the process, one summary line per pass that did work. */
@Injectable()
export class RotationSchedulerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('rotation');
  private readonly loop: RotationLoop;

  constructor(
    @Inject(ROTATION_SCHEDULER_CONFIG) config: RotationSchedulerConfig,
    @Inject(CORE_CONFIG) core: CoreConfig,
    @Inject(LEASE_STORE) leases: LeaseStore,
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(CLOCK) clock: Clock,
  ) {
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
      onTick: (report) => this.report(report),
      onError: (error) => this.logger.warn(`rotation pass failed: ${(error as Error).message}`),
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
    if (r.claimed === 0 && r.failed === 0) return;
    const line =
      `rotation pass: ${r.due} due, ${r.claimed} claimed, ${r.rotated} rotated, ${r.stale} stale, ` +
      `${r.notConnected} not connected, ${r.unreachable} unreachable, ${r.failed} failed in ${r.durationMs} ms`;
    if (r.unreachable > 0 || r.failed > 0) this.logger.log(line);
    else this.logger.debug(line);
  }
}
