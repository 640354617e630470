export { RotationSchedulerModule } from './rotation-scheduler.module';
export { loadRotationSchedulerConfig } from './rotation-scheduler.config';
export type { RotationSchedulerConfig } from './rotation-scheduler.config';
