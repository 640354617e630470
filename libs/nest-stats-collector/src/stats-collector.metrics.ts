import { ResourceType, type DataplaneInsightSpec } from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';
import { metricsIn } from '@meshtls/nest-core';
import type { Counter, Registry } from 'prom-client';

/** How long a computed fleet summary is served before the insights are read again. */
const SUMMARY_TTL_MS = 15_000;

/**
 * stats-collector's metrics: events turned into insights, and per mesh the earliest expiry among its
 * dataplanes' current certificates (the fleet's next cliff) and how many dataplanes hold one.
 */
export function statsCollectorMetrics(registry: Registry, store: ResourceStore): Counter<'event'> {
  const metric = metricsIn(registry);
  let cached: { at: number; value: Promise<Map<string, { earliest: number; holding: number }>> } | undefined;
  const summary = () => {
    if (!cached || Date.now() - cached.at > SUMMARY_TTL_MS) {
      cached = { at: Date.now(), value: fleetSummary(store) };
    }
    return cached.value;
  };
  metric.gauge({
    name: 'mesh_dataplane_certificate_earliest_expiration_timestamp_seconds',
    help: 'Earliest expiry among the current certificates of the dataplanes of each mesh (Unix time)',
    labelNames: ['mesh'],
    async collect() {
      this.reset();
      for (const [mesh, s] of await summary()) if (s.holding > 0) this.set({ mesh }, s.earliest / 1000);
    },
  });
  metric.gauge({
    name: 'mesh_dataplanes_with_certificate',
    help: 'Dataplanes of each mesh holding a certificate, per their insights',
    labelNames: ['mesh'],
    async collect() {
      this.reset();
      for (const [mesh, s] of await summary()) this.set({ mesh }, s.holding);
    },
  });
  return metric.counter({
    name: 'mesh_insight_events_total',
    help: 'Events applied to dataplane insights, by event (certificate, connection)',
    labelNames: ['event'],
  });
}

async function fleetSummary(
  store: ResourceStore,
): Promise<Map<string, { earliest: number; holding: number }>> {
  const out = new Map<string, { earliest: number; holding: number }>();
  const insights = await store.list(ResourceType.DataplaneInsight);
  for (const record of insights.items) {
    const mesh = record.meta.mesh ?? '';
    const entry = out.get(mesh) ?? { earliest: Number.POSITIVE_INFINITY, holding: 0 };
    const expiry = (record.spec as DataplaneInsightSpec).mTLS?.certificateExpirationTime;
    if (expiry) {
      entry.holding++;
      entry.earliest = Math.min(entry.earliest, Date.parse(expiry));
    }
    out.set(mesh, entry);
  }
  return out;
}
