import type { RotationTickReport } from '@meshtls/application';
import type { LeaseStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import { metricsIn } from '@meshtls/nest-core';
import type { Counter, Registry } from 'prom-client';

/** Leases counted per scrape up to this many (the store lists, it does not count). */
const COUNT_LIMIT = 10_000;
/** A lease this long past its rotation point is overdue: rotation is not keeping up, or failing. */
export const OVERDUE_AFTER_MS = 5 * 60_000;

/** Rotations asked for by result, and the leases due and overdue now (read from the store per scrape). */
export function rotationMetrics(registry: Registry, leases: LeaseStore, clock: Clock): Counter<'result'> {
  const metric = metricsIn(registry);
  metric.gauge({
    name: 'mesh_rotation_leases_due',
    help: `Certificates past their rotation point (counted up to ${COUNT_LIMIT})`,
    async collect() {
      this.set((await leases.listDue(clock.now(), COUNT_LIMIT)).length);
    },
  });
  metric.gauge({
    name: 'mesh_rotation_leases_overdue',
    help: `Certificates more than ${OVERDUE_AFTER_MS / 60_000} minutes past their rotation point`,
    async collect() {
      const before = new Date(clock.now().getTime() - OVERDUE_AFTER_MS);
      this.set((await leases.listDue(before, COUNT_LIMIT)).length);
    },
  });
  return metric.counter({
    name: 'mesh_rotations_total',
    help: 'Rotations this scheduler asked for, by result (rotated, stale, not-connected, unreachable, refused, failed)',
    labelNames: ['result'],
  });
}

/** Counts a pass's rotations by result. */
export function countPass(rotations: Counter<'result'>, r: RotationTickReport): void {
  rotations.inc({ result: 'rotated' }, r.rotated);
  rotations.inc({ result: 'stale' }, r.stale);
  rotations.inc({ result: 'not-connected' }, r.notConnected);
  rotations.inc({ result: 'unreachable' }, r.unreachable);
  rotations.inc({ result: 'refused' }, r.refused);
  rotations.inc({ result: 'failed' }, r.failed);
}
