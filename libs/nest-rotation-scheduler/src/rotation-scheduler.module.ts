import { Module, type DynamicModule } from '@nestjs/common';
import type { RotationSchedulerConfig } from './rotation-scheduler.config';
import { RotationSchedulerService } from './rotation-scheduler.service';
import { ROTATION_SCHEDULER_CONFIG } from './rotation-scheduler.tokens';

/**
 * The rotation-scheduler role: finds certificates due for rotation in the lease store and asks the
 * mesh-api replica holding each dataplane to re-issue it. Any number of replicas may run; claims in the
 * lease store make each rotation requested once. Its presence on the bus and its health endpoints come
 * from CoreModule (LEASE_STORE, MESSAGE_BUS, CLOCK, CORE_CONFIG are taken from there).
 */
@Module({})
export class RotationSchedulerModule {
  static forRoot(config: RotationSchedulerConfig): DynamicModule {
    return {
      module: RotationSchedulerModule,
      providers: [{ provide: ROTATION_SCHEDULER_CONFIG, useValue: config }, RotationSchedulerService],
    };
  }
}
