import { Logger } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { CoreConfig } from '../config/core-config';
import { metricsIn } from '../metrics/registered-metrics';
import { HEAP_TRIM_DEFAULTS, HeapTrimmer } from './heap-trimmer';

export { HeapTrimmer };

/** The process's HeapTrimmer, started and stopped with the core module. */
export const HEAP_TRIMMER = Symbol('HeapTrimmer');

const MiB = 1024 * 1024;

/** A trimmer with the configured interval, counting its trims in `registry` and logging each. */
export function heapTrimmerFor(config: CoreConfig, registry: Registry): HeapTrimmer {
  const metric = metricsIn(registry);
  const trims = metric.counter({
    name: 'mesh_heap_trims_total',
    help: 'Compacting GCs run after the V8 old generation grew (MESH_HEAP_TRIM_INTERVAL), giving back the heap a burst left behind',
  });
  const pause = metric.gauge({
    name: 'mesh_heap_trim_last_pause_seconds',
    help: 'How long the last heap trim blocked the event loop',
  });
  const released = metric.gauge({
    name: 'mesh_heap_trim_last_released_bytes',
    help: 'Committed V8 old-generation bytes the last heap trim gave back',
  });
  const log = new Logger('heap');
  return new HeapTrimmer({ ...HEAP_TRIM_DEFAULTS, intervalMs: config.heapTrimIntervalMs }, (trim) => {
    trims.inc();
    pause.set(trim.pauseMs / 1000);
    released.set(Math.max(0, trim.before - trim.after));
    log.log(
      `heap trimmed: V8 old generation ${(trim.before / MiB).toFixed(0)} MiB -> ${(trim.after / MiB).toFixed(0)} MiB in ${trim.pauseMs.toFixed(0)} ms`,
    );
  });
}
