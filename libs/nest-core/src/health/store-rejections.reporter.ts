import type { DegradationReporter, RejectionObserver, RejectionSource } from '@meshtls/util';
import type { Registry } from 'prom-client';
import { metricsIn } from '../metrics/registered-metrics';

/** When a rejected value of each source stops degrading the process. */
const SETTLED_WHEN: Readonly<Record<RejectionSource, string>> = {
  kv: 'the resource is written again or deleted',
  sqlite: 'the resource is written again or deleted',
  redis: 'a valid lease replaces it or it is deleted',
  stream: 'a valid event of the subject is handled',
};

export interface StoreRejectionLog {
  warn(message: string): void;
  log(message: string): void;
}

/**
 * What the process does with a value a store, the event stream or Redis handed back that did not decode:
 * one warning naming its key and the reason (never the value), `mesh_store_values_rejected_total`, and a
 * degradation (`{source}:{key}`) until the adapter reports the key settled.
 */
export function storeRejectionReporter(
  registry: Registry,
  degradations: DegradationReporter,
  log: StoreRejectionLog,
): RejectionObserver {
  const rejected = metricsIn(registry).counter({
    name: 'mesh_store_values_rejected_total',
    help: 'Values read from the resource store, the event stream or Redis that did not decode and were skipped, by source (kv, sqlite, stream, redis) and type',
    labelNames: ['source', 'type'],
  });
  return {
    rejected({ source, key, type, reason }) {
      rejected.inc({ source, type });
      degradations.report(`${source}:${key}`, `${source} ${key}: ${reason}`);
      log.warn(
        `skipped ${source} value ${key} (${type}): ${reason}; not ready until ${SETTLED_WHEN[source]}`,
      );
    },
    settled(source, key) {
      degradations.clear(`${source}:${key}`);
      log.log(`${source} value ${key} settled: ${SETTLED_WHEN[source]}`);
    },
  };
}
