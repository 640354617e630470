import { Module } from '@nestjs/common';
import { DataplaneInsightRecorder } from '@meshtls/application';
import { METRICS, RESOURCE_STORE } from '@meshtls/nest-core';
import type { ResourceStore } from '@meshtls/store';
import type { Registry } from 'prom-client';
import { statsCollectorMetrics } from './stats-collector.metrics';
import { StatsCollectorService } from './stats-collector.service';
import { INSIGHT_RECORDER, STATS_EVENTS_COUNTER } from './stats-collector.tokens';

/**
 * The stats-collector role: keeps every dataplane's DataplaneInsight from the bus's events. Its presence
 * on the bus (ping in queue group "stats-collector") and its health endpoints come from CoreModule.
 */
@Module({
  providers: [
    {
      provide: INSIGHT_RECORDER,
      inject: [RESOURCE_STORE],
      useFactory: (store: ResourceStore) => new DataplaneInsightRecorder(store),
    },
    {
      provide: STATS_EVENTS_COUNTER,
      inject: [METRICS, RESOURCE_STORE],
      useFactory: (registry: Registry, store: ResourceStore) => statsCollectorMetrics(registry, store),
    },
    StatsCollectorService,
  ],
})
export class StatsCollectorModule {}
