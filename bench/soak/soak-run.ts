/**
 * Soak run: the distributed control plane (two replicas of every role, NATS, Redis) serving hundreds of
 * simulated dataplanes (the real identity client over the real gRPC protocol, in forked workers) whose
 * certificates are rotated every ~30 s, for a bounded time. It samples every control-plane process's
 * heap, RSS, open file descriptors and active handles, and tells whether they stay flat: the last third
 * of the run against the middle third (the first third is warm-up). Exit code 1 when something grows,
 * when rotations fall short, or when a dataplane ends without a current certificate.
 *
 *   SOAK_DATAPLANES=300   simulated dataplanes
 *   SOAK_DURATION_S=600   how long the fleet runs once connected
 *   SOAK_SAMPLE_S=15      pause between samples
 *   SOAK_VALIDITY_S=38    certificate validity (rotated at 4/5 of it: every ~30 s)
 *   SOAK_REPORT=file      also write the figures there as JSON
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Topology, type Replica } from '@meshtls/testing';
import { adminCall, mintTokens, rssOf, startWorkers, stopWorkers, until } from '../fleet/fleet-harness';
import type { FleetWorkerMessage, FleetWorkerStart } from '../fleet/fleet-worker';

const DATAPLANES = positive('SOAK_DATAPLANES', 300);
const DURATION_S = positive('SOAK_DURATION_S', 600);
const SAMPLE_S = positive('SOAK_SAMPLE_S', 15);
const VALIDITY_S = positive('SOAK_VALIDITY_S', 38);
const WORKERS = 2;
/** Growth of the median heap (last third against middle third) still called flat. */
const HEAP_TOLERANCE = 0.1;
const HEAP_TOLERANCE_BYTES = 4 * 1024 * 1024;
/** More open descriptors or handles than this at the end (medians) is a leak. */
const HANDLE_TOLERANCE = 8;

interface Sample {
  readonly t: number;
  readonly heap: number;
  readonly rss: number;
  readonly fds: number;
  readonly handles: number;
}

async function main(): Promise<void> {
  console.log(
    `soak: ${DATAPLANES} dataplanes, ${DURATION_S} s, certificates of ${VALIDITY_S} s rotated at ${(VALIDITY_S * 0.8).toFixed(1)} s, a sample every ${SAMPLE_S} s`,
  );
  const topology = await Topology.start(
    { 'mesh-api': 2, 'ca-signer': 2, 'rotation-scheduler': 2, 'stats-collector': 2 },
    { MESH_LOG_LEVEL: 'error', MESH_ROTATION_INTERVAL_MS: '500' },
  );
  let workers: ChildProcess[] = [];
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stopWorkers(workers);
    await topology.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    const [api0, api1] = topology.of('mesh-api') as [Replica, Replica];
    await adminCall(topology, 'PUT', `${api0.url}/meshes/soak`, {
      type: 'Mesh',
      name: 'soak',
      mtls: {
        enabledBackend: 'ca-1',
        backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: `${VALIDITY_S}s` } } }],
      },
    });
    const tokens = await mintTokens(topology, api0.url, DATAPLANES, 'soak');
    const caCertPem = readFileSync(topology.dpCaFile, 'utf8');

    const reasons = new Map<string, number>();
    const lastIdentityAt = new Map<number, number>();
    let failures = 0;
    workers = startWorkers(WORKERS);
    for (const worker of workers) {
      worker.on('message', (message: FleetWorkerMessage) => {
        if (message.type === 'failures') failures += message.count;
        if (message.type !== 'identities') return;
        for (const e of message.events) {
          reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
          lastIdentityAt.set(e.index, e.at);
        }
      });
    }
    workers.forEach((worker, w) =>
      worker.send({
        type: 'start',
        addresses: [api0.dpAddress!, api1.dpAddress!],
        caCertPem,
        mesh: 'soak',
        dataplanes: tokens.flatMap((token, index) => (index % WORKERS === w ? [{ index, token }] : [])),
        ownConnections: false,
      } satisfies FleetWorkerStart),
    );
    await until(
      () => lastIdentityAt.size === DATAPLANES,
      120_000,
      () => `${lastIdentityAt.size}/${DATAPLANES} have an identity`,
    );
    const started = Date.now();
    console.log(`all ${DATAPLANES} dataplanes hold a certificate; soaking`);

    const samples = new Map<string, Sample[]>(topology.replicas.map((r) => [r.instanceId, []]));
    while (Date.now() - started < DURATION_S * 1000) {
      await new Promise((r) =>
        setTimeout(r, Math.min(SAMPLE_S * 1000, started + DURATION_S * 1000 - Date.now())),
      );
      const t = (Date.now() - started) / 1000;
      for (const replica of topology.replicas)
        samples.get(replica.instanceId)!.push(await sample(replica, t));
      const heapMb = (role: string) =>
        topology.replicas
          .filter((r) => r.role === role)
          .map((r) => (samples.get(r.instanceId)!.at(-1)!.heap / 2 ** 20).toFixed(1))
          .join('/');
      console.log(
        `  ${t.toFixed(0).padStart(4)} s  rotations ${reasons.get('rotation') ?? 0}  heap MB: mesh-api ${heapMb('mesh-api')}, ca-signer ${heapMb('ca-signer')}, scheduler ${heapMb('rotation-scheduler')}, collector ${heapMb('stats-collector')}`,
      );
    }
    const endedAt = Date.now();
    const elapsedS = (endedAt - started) / 1000;
    // Every dataplane got a certificate within one validity before the end: none is left expired.
    const stale = [...lastIdentityAt.values()].filter((at) => endedAt - at > VALIDITY_S * 1000).length;
    const rotations = reasons.get('rotation') ?? 0;
    const expected = Math.floor((DATAPLANES * elapsedS) / (VALIDITY_S * 0.8));
    await stopWorkers(workers);

    console.log('\nper process (middle third → last third, medians; slope by least squares over both):');
    console.log(
      `  ${'process'.padEnd(22)} ${'heap MB'.padEnd(16)} ${'heap %'.padStart(7)} ${'MB/h'.padStart(7)} ${'RSS MB'.padEnd(16)} ${'fds'.padEnd(10)} ${'handles'.padEnd(10)} verdict`,
    );
    const verdicts: Record<string, unknown>[] = [];
    let leaking = false;
    for (const [name, list] of samples) {
      const third = Math.max(1, Math.floor(list.length / 3));
      const middle = list.slice(third, list.length - third);
      const last = list.slice(list.length - third);
      const m = (xs: Sample[], f: (s: Sample) => number) => median(xs.map(f));
      const heapBefore = m(middle, (s) => s.heap);
      const heapAfter = m(last, (s) => s.heap);
      const slopePerHour = slope(list.slice(third), (s) => s.heap) * 3600;
      const fdsGrowth = m(last, (s) => s.fds) - m(middle, (s) => s.fds);
      const handlesGrowth = m(last, (s) => s.handles) - m(middle, (s) => s.handles);
      const heapGrowth = heapAfter - heapBefore;
      const flat =
        (heapGrowth <= HEAP_TOLERANCE_BYTES || heapGrowth / heapBefore <= HEAP_TOLERANCE) &&
        fdsGrowth <= HANDLE_TOLERANCE &&
        handlesGrowth <= HANDLE_TOLERANCE;
      leaking ||= !flat;
      const mb = (x: number) => (x / 2 ** 20).toFixed(1);
      console.log(
        `  ${name.padEnd(22)} ${`${mb(heapBefore)} → ${mb(heapAfter)}`.padEnd(16)} ${((heapGrowth / heapBefore) * 100).toFixed(1).padStart(6)}% ${mb(slopePerHour).padStart(7)} ${`${mb(m(middle, (s) => s.rss))} → ${mb(m(last, (s) => s.rss))}`.padEnd(16)} ${`${m(middle, (s) => s.fds)} → ${m(last, (s) => s.fds)}`.padEnd(10)} ${`${m(middle, (s) => s.handles)} → ${m(last, (s) => s.handles)}`.padEnd(10)} ${flat ? 'flat' : 'GROWING'}`,
      );
      verdicts.push({
        process: name,
        heapBefore,
        heapAfter,
        heapSlopePerHour: slopePerHour,
        rssBefore: m(middle, (s) => s.rss),
        rssAfter: m(last, (s) => s.rss),
        fdsBefore: m(middle, (s) => s.fds),
        fdsAfter: m(last, (s) => s.fds),
        handlesBefore: m(middle, (s) => s.handles),
        handlesAfter: m(last, (s) => s.handles),
        flat,
      });
    }
    const enough = rotations >= expected * 0.9;
    console.log(
      `\nrotations ${rotations} of about ${expected} expected (${((rotations / expected) * 100).toFixed(0)} %); other certificates ${[
        ...reasons,
      ]
        .filter(([r]) => r !== 'rotation')
        .map(([r, n]) => `${r} ${n}`)
        .join(
          ', ',
        )}; dataplanes without a current certificate at the end: ${stale}; streams that ended or failed: ${failures}`,
    );
    const ok = !leaking && enough && stale === 0;
    console.log(ok ? 'verdict: flat, every rotation made' : 'verdict: FAILED (see above)');
    if (process.env.SOAK_REPORT) {
      writeFileSync(
        process.env.SOAK_REPORT,
        JSON.stringify(
          {
            dataplanes: DATAPLANES,
            seconds: elapsedS,
            validityS: VALIDITY_S,
            rotations,
            expected,
            stale,
            failures,
            processes: verdicts,
            ok,
          },
          null,
          2,
        ),
      );
    }
    process.exitCode = ok ? 0 : 1;
  } finally {
    await stop();
  }
}

/** One sample of a replica: heap and active handles from its /metrics, RSS and descriptors from /proc. */
async function sample(replica: Replica, t: number): Promise<Sample> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  const metric = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    t,
    heap: metric('nodejs_heap_size_used_bytes'),
    handles: metric('nodejs_active_handles_total'),
    rss: rssOf(replica),
    fds: readdirSync(`/proc/${replica.process.pid}/fd`).length,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Least-squares slope of `f` over the samples' time (per second). */
function slope(samples: Sample[], f: (s: Sample) => number): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((a, s) => a + s.t, 0) / n;
  const my = samples.reduce((a, s) => a + f(s), 0) / n;
  const num = samples.reduce((a, s) => a + (s.t - mx) * (f(s) - my), 0);
  const den = samples.reduce((a, s) => a + (s.t - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`${name} must be a positive whole number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

main().catch((error: Error) => {
  console.error(`soak run failed: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
