import { Module } from '@nestjs/common';
import { StatsCollectorService } from './stats-collector.service';

/**
 * The stats-collector role: keeps every dataplane's DataplaneInsight from the bus's events. Its presence
 * on the bus (ping in queue group "stats-collector") and its health endpoints come from CoreModule.
 */
@Module({ providers: [StatsCollectorService] })
export class StatsCollectorModule {}
