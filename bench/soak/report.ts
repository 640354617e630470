/** The report: the figures and the verdict printed, and written as JSON to SOAK_REPORT when it is set. */
import { writeFileSync } from 'node:fs';
import { describeValidity } from '../fleet/fleet-harness';
import { median } from '../stats';
import {
  certificateFigures,
  COUNT_TOLERANCE,
  figuresOf,
  HEAP_TOLERANCE,
  ROTATION_GRACE_MS,
  ROTATION_POINT,
  verdictOf,
} from './analyse';
import { count, mb, signed } from './format';
import type { Metric, Outcome, RunState, SoakConfig } from './types';

/** Prints the figures and verdicts (and writes SOAK_REPORT); true when nothing leaked or fell short. */
export function report(state: RunState, config: SoakConfig, outcome: Outcome): boolean {
  if (state.whole.length === 0) {
    console.log('verdict: FAILED: the soak did not get as far as its first sample');
    writeReport({ ok: false, error: String(outcome.error), interrupted: outcome.interrupted });
    return false;
  }
  const elapsedS = (state.soakEndedAt - state.soakStartedAt) / 1000;
  const processes = state.watched.map((w) => figuresOf(w, state.samples.get(w.name)!));

  console.log(
    `\nper process over ${elapsedS.toFixed(0)} s (${state.whole.length} samples): medians of the first and last thirds, ` +
      'growth, least-squares slope per hour over every sample; "last ⅔": the middle-third median to the ' +
      'last-third median, and the slope over the last two thirds (the first third is warm-up)',
  );
  const header = [
    'process',
    'metric',
    'first ⅓',
    'last ⅓',
    'growth',
    '%',
    'per hour',
    'last ⅔ %',
    '⅔ per hour',
  ];
  const widths = [22, 9, 9, 9, 9, 9, 10, 9, 11];
  const row = (cells: string[]) =>
    `  ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ')}`;
  console.log(row(header));
  const units: Record<
    Metric,
    { label: string; scale: (x: number) => string; signed: (x: number) => string }
  > = {
    heap: { label: 'heap MB', scale: mb, signed: (x) => signed(x / 2 ** 20, 1) },
    rss: { label: 'RSS MB', scale: mb, signed: (x) => signed(x / 2 ** 20, 1) },
    fds: { label: 'fds', scale: count, signed: (x) => signed(x, 1) },
    handles: { label: 'handles', scale: count, signed: (x) => signed(x, 1) },
    series: { label: 'series', scale: count, signed: (x) => signed(x, 1) },
  };
  for (const p of processes) {
    let first = true;
    for (const metric of ['heap', 'rss', 'fds', 'handles', 'series'] as const) {
      const f = p.metrics[metric];
      if (!f) continue;
      const u = units[metric];
      console.log(
        row([
          first ? p.name : '',
          u.label,
          u.scale(f.firstThird),
          u.scale(f.lastThird),
          u.signed(f.growth),
          `${signed(f.growthPct, 1)} %`,
          u.signed(f.slopePerHour),
          `${signed(f.lastTwoThirdsPct, 1)} %`,
          u.signed(f.lastTwoThirdsSlopePerHour),
        ]),
      );
      first = false;
    }
    const judged = p.kind === 'control-plane';
    console.log(
      `  ${(first ? p.name : '').padEnd(widths[0]!)} verdict: ${judged ? p.verdict : `${p.verdict.toLowerCase()} (shown, not judged)`}` +
        (p.reasons.length > 0 ? ` (${p.reasons.join('; ')})` : ''),
    );
  }

  const firstWhole = state.whole[0]!;
  const lastWhole = state.whole.at(-1)!;
  const streamNames = [
    ...new Set([...Object.keys(firstWhole.streams), ...Object.keys(lastWhole.streams)]),
  ].sort();
  console.log('\nJetStream streams and Redis (first sample → last sample):');
  for (const name of streamNames) {
    const a = firstWhole.streams[name];
    const b = lastWhole.streams[name];
    console.log(
      `  ${name.padEnd(28)} messages ${count(a?.messages ?? NaN)} → ${count(b?.messages ?? NaN)}, ` +
        `${mb(a?.bytes ?? NaN)} → ${mb(b?.bytes ?? NaN)} MB`,
    );
  }
  console.log(
    `  ${'redis'.padEnd(28)} keys ${count(firstWhole.redisKeys)} → ${count(lastWhole.redisKeys)}, ` +
      `used_memory ${mb(firstWhole.redisUsedMemory)} → ${mb(lastWhole.redisUsedMemory)} MB`,
  );

  const f = certificateFigures(state);
  const others = [...f.others];
  const counters = state.counters;
  const byLabel = (name: string) =>
    Object.entries(counters[name] ?? {})
      .map(([k, v]) => `${k || 'all'} ${v}`)
      .join(', ') || 'none';
  const { ok, problems, judged, controlPlaneFailures } = verdictOf(state, processes, f, outcome);
  const validity = state.validity;
  const validAtEnd = validity === undefined ? NaN : config.dataplanes - validity.invalidAtEnd.length;
  const s1 = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '–');

  console.log('\ntotals (certificates judged by their own notBefore/notAfter):');
  console.log(
    `  rotations seen by the fleet   ${f.rotations}; certificates due for rotation in the soak (at 4/5 of their ` +
      `validity, ${s1(f.minValidityMs)}–${s1(f.maxValidityMs)} s): ${f.due}, of which rotated ${f.rotatedWhenDue}, ` +
      `due less than ${ROTATION_GRACE_MS / 1000} s before the end and not yet rotated ${f.pending}, missed ${f.missed}` +
      (f.missedSample.length > 0 ? ` (e.g. ${f.missedSample.join('; ')})` : ''),
  );
  console.log(
    `  rotations per dataplane       min ${f.perDataplane[0]}, median ${median(f.perDataplane)}, max ${f.perDataplane.at(-1)}`,
  );
  console.log(
    `  other certificates            ${others.map(([r, n]) => `${r} ${n}`).join(', ') || 'none'} (during the soak)`,
  );
  console.log(
    `  valid certificate             ${validity === undefined ? 'not checked' : describeValidity(validity)}`,
  );
  console.log(
    `  rotation after its due point  latest ${s1(f.latestMs)} s; before it (over-rotation): ${f.early} (${f.earlyDataplanes} dataplanes)`,
  );
  console.log(`  between two certificates      longest ${s1(f.maxGapMs)} s, shortest ${s1(f.minGapMs)} s`);
  if (state.insights) {
    console.log(
      `  control plane's view          ${state.insights.valid}/${state.insights.total} dataplanes with an unexpired certificate in their insight; ${state.insights.regenerations} certificates counted`,
    );
  }
  console.log(
    `  failures                      fleet: ${state.streamFailures} streams ended or failed to open${state.failureSample.size > 0 ? ` (e.g. ${[...state.failureSample].slice(0, 3).join(' | ')})` : ''}; ` +
      `control plane: ${controlPlaneFailures} (issuance failures ${byLabel('mesh_dataplane_certificate_failures_total')}; scheduler results ${byLabel('mesh_rotations_total')})`,
  );
  console.log(
    `  other counters                issued by reason: ${byLabel('mesh_dataplane_certificates_issued_total')}; request retries: ${byLabel('mesh_dataplane_certificate_request_retries_total')}; CA admission rejections: ${byLabel('mesh_ca_admission_rejections_total')}; samples that failed: ${state.sampleErrors}`,
  );

  console.log(
    ok
      ? `\nverdict: flat — ${judged.length} control-plane processes flat, every dataplane held a valid certificate at every check, ` +
          `${f.rotatedWhenDue} of ${f.due} certificates due rotated (${f.pending} due in the last ${ROTATION_GRACE_MS / 1000} s on their way), none early, no failures`
      : `\nverdict: FAILED — ${problems.join('; ')}`,
  );
  writeReport({
    ok,
    problems,
    interrupted: outcome.interrupted,
    config: {
      dataplanes: config.dataplanes,
      durationS: config.durationS,
      sampleS: config.sampleS,
      validityS: config.validityS,
      rotationPoint: ROTATION_POINT,
      rotationGraceS: ROTATION_GRACE_MS / 1000,
      ownConnections: config.ownConnections,
      workers: config.workers,
      heapTolerance: HEAP_TOLERANCE,
      countTolerance: COUNT_TOLERANCE,
    },
    connectS: state.connectMs / 1000,
    elapsedS,
    totals: {
      rotations: f.rotations,
      dueForRotation: f.due,
      rotatedWhenDue: f.rotatedWhenDue,
      pendingAtEnd: f.pending,
      missedRotations: f.missed,
      rotationsPerDataplane: {
        min: f.perDataplane[0],
        median: median(f.perDataplane),
        max: f.perDataplane.at(-1),
      },
      otherCertificates: Object.fromEntries(others),
      validAtEnd,
      validity,
      latestRotationAfterDueS: f.latestMs / 1000,
      longestBetweenCertificatesS: Number.isFinite(f.maxGapMs) ? f.maxGapMs / 1000 : null,
      shortestBetweenCertificatesS: Number.isFinite(f.minGapMs) ? f.minGapMs / 1000 : null,
      earlyRotations: f.early,
      earlyRotationDataplanes: f.earlyDataplanes,
      streamFailures: state.streamFailures,
      failureSample: [...state.failureSample],
      controlPlaneFailures,
      insights: state.insights,
      counters,
      sampleErrors: state.sampleErrors,
    },
    processes,
    samples: Object.fromEntries(state.samples),
    whole: state.whole,
  });
  return ok;
}

function writeReport(content: object): void {
  const file = process.env.SOAK_REPORT;
  if (!file) return;
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
  console.log(`figures written to ${file}`);
}
