/**
 * The soak's figures and the rules that judge them: what the certificates say of the rotations, first-third
 * against last-third medians and least-squares slopes per process, and the verdict.
 */
import { median } from '../stats';
import { signed } from './format';
import type {
  MetricFigures,
  Metric,
  Outcome,
  ProcessFigures,
  ReceivedCertificate,
  RunState,
  Sample,
  Watched,
} from './types';

/**
 * A certificate is due for rotation at this share of its notBefore..notAfter (Kuma's rule, as the README
 * states it), stated here rather than taken from the code under test.
 */
export const ROTATION_POINT = 4 / 5;
/**
 * A rotation due this shortly before the end may still be on its way then (schedulers pass every second,
 * and issuance takes its time); one due earlier and not received is missed.
 */
export const ROTATION_GRACE_MS = 5000;
/** Heap growth over the last two thirds (middle-third median to last-third median) still called flat. */
export const HEAP_TOLERANCE = 0.1;
/** Descriptors, handles or metric series: growth over the last two thirds above this (and above 5 %) is a leak when the trend rises too. */
export const COUNT_TOLERANCE = 3;

/** When a certificate is due for rotation, from its own validity. */
function rotationPointOf(c: ReceivedCertificate): number {
  return c.notBefore + Math.floor((c.notAfter - c.notBefore) * ROTATION_POINT);
}

export type CertificateFigures = ReturnType<typeof certificateFigures>;

/**
 * What the certificates say of the soak, per dataplane from the certificate it held as the soak began to
 * the one it held at its end: each certificate whose rotation point (4/5 of its own validity) fell before
 * the end was due, and must have been replaced by a rotation, or be due less than ROTATION_GRACE_MS
 * before the end; no rotation may come before the rotation point of the certificate it replaces.
 */
export function certificateFigures(state: RunState) {
  const start = state.soakStartedAt;
  const end = state.soakEndedAt;
  const others = new Map<string, number>();
  const perDataplane: number[] = [];
  let due = 0;
  let rotatedWhenDue = 0;
  let pending = 0;
  let missed = 0;
  let early = 0;
  let earlyDataplanes = 0;
  let latestMs = 0;
  let maxGapMs = -Infinity;
  let minGapMs = Infinity;
  let minValidityMs = Infinity;
  let maxValidityMs = 0;
  const missedSample: string[] = [];
  state.dataplanes.forEach((d, index) => {
    const upToEnd = d.certificates.filter((c) => c.receivedAt <= end);
    // The certificate it held as the soak began, then those it received during it.
    const atStart = upToEnd.findLastIndex((c) => c.receivedAt <= start);
    const held = upToEnd.slice(Math.max(0, atStart));
    let rotations = 0;
    let earlyHere = 0;
    held.forEach((c, k) => {
      const next = held[k + 1];
      const rotationPoint = rotationPointOf(c);
      minValidityMs = Math.min(minValidityMs, c.notAfter - c.notBefore);
      maxValidityMs = Math.max(maxValidityMs, c.notAfter - c.notBefore);
      if (next !== undefined) {
        maxGapMs = Math.max(maxGapMs, next.receivedAt - c.receivedAt);
        minGapMs = Math.min(minGapMs, next.receivedAt - c.receivedAt);
        if (next.reason === 'rotation') {
          rotations++;
          if (next.receivedAt < rotationPoint) earlyHere++;
          else latestMs = Math.max(latestMs, next.receivedAt - rotationPoint);
        } else others.set(next.reason, (others.get(next.reason) ?? 0) + 1);
      }
      // Not due: its rotation point is after the end, or it was replaced before it for another reason.
      if (rotationPoint > end) return;
      if (next !== undefined && next.reason !== 'rotation' && next.receivedAt < rotationPoint) return;
      due++;
      if (next?.reason === 'rotation') rotatedWhenDue++;
      else if (next === undefined && end - rotationPoint <= ROTATION_GRACE_MS) pending++;
      else {
        missed++;
        if (missedSample.length < 3)
          missedSample.push(
            `dp-${index} serial ${c.serial} due ${new Date(rotationPoint).toISOString()}, ` +
              (next ? `replaced by "${next.reason}"` : 'not replaced'),
          );
      }
    });
    perDataplane.push(rotations);
    early += earlyHere;
    if (earlyHere > 0) earlyDataplanes++;
  });
  return {
    rotations: perDataplane.reduce((a, b) => a + b, 0),
    perDataplane: perDataplane.sort((a, b) => a - b),
    others,
    due,
    rotatedWhenDue,
    pending,
    missed,
    missedSample,
    early,
    earlyDataplanes,
    latestMs,
    maxGapMs,
    minGapMs,
    minValidityMs,
    maxValidityMs,
  };
}

export function figuresOf(w: Watched, samples: readonly Sample[]): ProcessFigures {
  const exited = samples.some((s) => !s.alive);
  const metrics: Partial<Record<Metric, MetricFigures>> = {};
  const reasons: string[] = [];
  const base = { name: w.name, kind: w.kind, pid: w.pid, samples: samples.length, exited };
  if (exited) {
    return { ...base, metrics, verdict: 'EXITED', reasons: ['the process was gone at a sample'] };
  }
  if (samples.length < 6) return { ...base, metrics, verdict: 'too few samples', reasons };
  const third = Math.floor(samples.length / 3);
  const firstThird = samples.slice(0, third);
  const middleThird = samples.slice(third, samples.length - third);
  const lastThird = samples.slice(samples.length - third);
  const lastTwoThirds = samples.slice(third);
  let growing = false;
  for (const metric of ['heap', 'rss', 'fds', 'handles', 'series'] as const) {
    const values = samples.map((s) => s[metric]);
    if (values.every((v) => v === undefined || Number.isNaN(v))) continue;
    const of = (xs: readonly Sample[]) =>
      median(xs.map((s) => s[metric] ?? NaN).filter((v) => !Number.isNaN(v)));
    const f: MetricFigures = {
      firstThird: of(firstThird),
      middleThird: of(middleThird),
      lastThird: of(lastThird),
      growth: of(lastThird) - of(firstThird),
      growthPct: ((of(lastThird) - of(firstThird)) / of(firstThird)) * 100,
      slopePerHour: slope(samples, metric) * 3600,
      lastTwoThirdsPct: ((of(lastThird) - of(middleThird)) / of(middleThird)) * 100,
      lastTwoThirdsSlopePerHour: slope(lastTwoThirds, metric) * 3600,
    };
    metrics[metric] = f;
    if (metric === 'heap') {
      const tolerance = HEAP_TOLERANCE * 100;
      if (f.lastTwoThirdsPct >= tolerance) {
        growing = true;
        reasons.push(
          `heap ${signed(f.lastTwoThirdsPct, 1)} % over the last two thirds, tolerance ${tolerance} %`,
        );
      } else
        reasons.push(`heap ${signed(f.lastTwoThirdsPct, 1)} % over the last two thirds < ${tolerance} %`);
    } else if (metric !== 'rss' && w.kind === 'control-plane') {
      const rise = f.lastThird - f.middleThird;
      if (rise > Math.max(COUNT_TOLERANCE, f.middleThird * 0.05) && f.lastTwoThirdsSlopePerHour > 0) {
        growing = true;
        reasons.push(`${metric} ${f.middleThird} → ${f.lastThird} and rising`);
      }
    } else if (
      metric === 'fds' &&
      f.lastThird - f.middleThird > Math.max(COUNT_TOLERANCE, f.middleThird * 0.05)
    ) {
      growing = true;
      reasons.push(`fds ${f.middleThird} → ${f.lastThird}`);
    } else if (metric === 'rss' && w.kind !== 'control-plane' && f.lastTwoThirdsPct >= HEAP_TOLERANCE * 100) {
      growing = true;
      reasons.push(`RSS ${signed(f.lastTwoThirdsPct, 1)} % over the last two thirds`);
    }
  }
  if (!growing && w.kind === 'control-plane') reasons.push('fds, handles and metric series not growing');
  return { ...base, metrics, verdict: growing ? 'GROWING' : 'flat', reasons };
}

/** Least-squares slope of `metric` against the samples' time, per second. */
function slope(samples: readonly Sample[], metric: Metric): number {
  const points = samples.map((s) => [s.t, s[metric] ?? NaN] as const).filter(([, y]) => !Number.isNaN(y));
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** Issuance failures and failed or unreachable rotations, summed over the control plane's replicas. */
function controlPlaneFailuresOf(counters: RunState['counters']): number {
  const sum = (name: string) => Object.values(counters[name] ?? {}).reduce((a, b) => a + b, 0);
  return (
    sum('mesh_dataplane_certificate_failures_total') +
    (counters.mesh_rotations_total?.failed ?? 0) +
    (counters.mesh_rotations_total?.unreachable ?? 0)
  );
}

export interface Verdict {
  readonly ok: boolean;
  /** Every reason the run fails; none when it passes. */
  readonly problems: string[];
  /** The control-plane processes: the ones whose figures are judged. */
  readonly judged: readonly ProcessFigures[];
  readonly controlPlaneFailures: number;
}

/** The verdict rules, over the processes' figures, the certificates' figures and how the run ended. */
export function verdictOf(
  state: RunState,
  processes: readonly ProcessFigures[],
  f: CertificateFigures,
  outcome: Outcome,
): Verdict {
  const others = [...f.others];
  const controlPlaneFailures = controlPlaneFailuresOf(state.counters);
  const judged = processes.filter((p) => p.kind === 'control-plane');
  const growing = judged.filter((p) => p.verdict !== 'flat');
  const validity = state.validity;
  const problems: string[] = [];
  if (outcome.interrupted) problems.push(outcome.hardLimitReached ? 'hard limit reached' : 'interrupted');
  if (outcome.error !== undefined && !outcome.interrupted)
    problems.push(`error: ${(outcome.error as Error).message}`);
  for (const p of growing.filter((g) => g.verdict !== 'too few samples'))
    problems.push(`${p.name} ${p.verdict}`);
  if (growing.some((g) => g.verdict === 'too few samples')) problems.push('too few samples to judge memory');
  if (validity === undefined) problems.push('certificate validity not checked');
  else {
    if (validity.invalidMoments > 0)
      problems.push(
        `${validity.invalidMoments} checks found a dataplane without a valid certificate (${validity.invalid.length} dataplanes)`,
      );
    if (validity.invalidAtEnd.length > 0)
      problems.push(`${validity.invalidAtEnd.length} dataplanes without a valid certificate at the end`);
  }
  if (f.missed > 0) problems.push(`${f.missed} certificates not rotated when due`);
  if (f.early > 0) problems.push(`${f.early} rotations before their certificate was due (over-rotation)`);
  if (others.length > 0)
    problems.push(`certificates issued for other reasons: ${others.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  if (state.streamFailures > 0) problems.push(`${state.streamFailures} streams ended or failed to open`);
  if (controlPlaneFailures > 0)
    problems.push(`${controlPlaneFailures} issuance or rotation failures in the control plane`);
  return { ok: problems.length === 0, problems, judged, controlPlaneFailures };
}
