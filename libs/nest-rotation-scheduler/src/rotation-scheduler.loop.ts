import type { Logger } from '@nestjs/common';
import { RotationLoop, type RotationScheduler, type RotationTickReport } from '@meshtls/application';
import type { DegradationReporter } from '@meshtls/util';
import type { Counter } from 'prom-client';
import type { RotationSchedulerConfig } from './rotation-scheduler.config';
import { countPass, OVERDUE_AFTER_MS } from './rotation-scheduler.metrics';

/** A failing pass makes the scheduler not ready (it would rotate nothing) until a pass succeeds again. */
export const ROTATION_PASS_SOURCE = 'rotation:pass';

/**
 * The loop of rotation passes, one summary line per pass that did work; a failing pass is reported to
 * readiness until one succeeds.
 */
export function rotationLoop(
  scheduler: RotationScheduler,
  config: RotationSchedulerConfig,
  degradations: DegradationReporter,
  rotations: Counter<'result'>,
  logger: Logger,
): RotationLoop {
  return new RotationLoop(scheduler, {
    intervalMs: config.intervalMs,
    onTick: (report) => {
      degradations.clear(ROTATION_PASS_SOURCE);
      countPass(rotations, report);
      logPass(logger, report);
    },
    onError: (error) => {
      const reason = `rotation pass failed: ${(error as Error).message}`;
      degradations.report(ROTATION_PASS_SOURCE, reason);
      logger.warn(reason);
    },
  });
}

function logPass(logger: Logger, r: RotationTickReport): void {
  if (r.claimed === 0 && r.failed === 0) return;
  const late = r.latestMs >= OVERDUE_AFTER_MS || r.expired > 0;
  const line =
    `rotation pass: ${r.due} due, ${r.claimed} claimed, ${r.rotated} rotated, ${r.stale} stale, ` +
    `${r.notConnected} not connected, ${r.unreachable} unreachable, ${r.refused} refused, ${r.failed} failed in ${r.durationMs} ms` +
    (late ? `; latest ${Math.round(r.latestMs / 1000)} s after its rotation time, ${r.expired} expired` : '');
  if (r.unreachable > 0 || r.refused > 0 || r.failed > 0 || late) logger.log(line);
  else logger.debug(line);
}
