import { Module } from '@nestjs/common';

/**
 * The stats-collector role. Its presence on the bus (ping in queue group "stats-collector") and its health endpoints come
 * from CoreModule; its own handlers are added here as the role grows.
 */
@Module({})
export class StatsCollectorModule {}
