export { RotationSchedulerModule } from './rotation-scheduler.module';
