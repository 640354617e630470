import type { RotationTickReport } from './rotation-scheduler';

/** A tick's report for the rotation specs: every count zero but those given. */
export const tickReport = (counts: Partial<RotationTickReport> = {}): RotationTickReport => ({
  due: 0,
  claimed: 0,
  rotated: 0,
  stale: 0,
  notConnected: 0,
  unreachable: 0,
  refused: 0,
  failed: 0,
  latestMs: 0,
  expired: 0,
  durationMs: 0,
  ...counts,
});
