import { Module } from '@nestjs/common';

/**
 * The rotation-scheduler role. Its presence on the bus (ping in queue group "rotation-scheduler") and its health endpoints come
 * from CoreModule; its own handlers are added here as the role grows.
 */
@Module({})
export class RotationSchedulerModule {}
