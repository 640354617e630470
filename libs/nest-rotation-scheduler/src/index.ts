// The rotation-scheduler role's Nest module and its config.
export { RotationSchedulerModule } from './rotation-scheduler.module';
export { loadRotationSchedulerConfig } from './rotation-scheduler.config';
