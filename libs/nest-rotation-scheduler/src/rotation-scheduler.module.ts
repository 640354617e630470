import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { RotationScheduler } from '@meshtls/application';
import {
  CLOCK,
  CORE_CONFIG,
  HEALTH_DEGRADATIONS,
  LEASE_STORE,
  MESSAGE_BUS,
  METRICS,
  configuredModule,
  type CoreConfig,
} from '@meshtls/nest-core';
import type { MessageBus } from '@meshtls/bus';
import type { LeaseStore } from '@meshtls/store';
import type { Clock, DegradationReporter } from '@meshtls/util';
import type { Counter, Registry } from 'prom-client';
import type { RotationSchedulerConfig } from './rotation-scheduler.config';
import { rotationLoop } from './rotation-scheduler.loop';
import { rotationMetrics } from './rotation-scheduler.metrics';
import { RotationSchedulerService } from './rotation-scheduler.service';
import {
  ROTATION_LOOP,
  ROTATION_METRICS,
  ROTATION_SCHEDULER,
  ROTATION_SCHEDULER_CONFIG,
} from './rotation-scheduler.tokens';

const logger = new Logger('rotation');

/**
 * The rotation-scheduler role: finds certificates due for rotation in the lease store and asks the
 * mesh-api replica holding each dataplane to re-issue it. Any number of replicas may run; claims in the
 * lease store make each rotation requested once. Its presence on the bus and its health endpoints come
 * from CoreModule (LEASE_STORE, MESSAGE_BUS, CLOCK, CORE_CONFIG are taken from there).
 */
@Module({})
export class RotationSchedulerModule {
  static forRoot(config: RotationSchedulerConfig): DynamicModule {
    return configuredModule(RotationSchedulerModule, ROTATION_SCHEDULER_CONFIG, config, [
      {
        provide: ROTATION_METRICS,
        inject: [METRICS, LEASE_STORE, CLOCK],
        useFactory: (registry: Registry, leases: LeaseStore, clock: Clock) =>
          rotationMetrics(registry, leases, clock),
      },
      {
        provide: ROTATION_SCHEDULER,
        inject: [CORE_CONFIG, LEASE_STORE, MESSAGE_BUS, CLOCK],
        useFactory: (core: CoreConfig, leases: LeaseStore, bus: MessageBus, clock: Clock) =>
          new RotationScheduler({
            leases,
            bus,
            clock,
            schedulerId: core.instanceId,
            batchSize: config.batchSize,
            claimTtlMs: config.claimTtlMs,
            concurrency: config.concurrency,
            log: (level, message) => logger[level === 'info' ? 'log' : level](message),
          }),
      },
      {
        provide: ROTATION_LOOP,
        inject: [ROTATION_SCHEDULER, HEALTH_DEGRADATIONS, ROTATION_METRICS],
        useFactory: (
          scheduler: RotationScheduler,
          degradations: DegradationReporter,
          rotations: Counter<'result'>,
        ) => rotationLoop(scheduler, config, degradations, rotations, logger),
      },
      RotationSchedulerService,
    ]);
  }
}
