/**
 * Soak run: the distributed control plane (2 mesh-api, 2 ca-signer, 2 rotation-scheduler, 2
 * stats-collector, NATS with JetStream, Redis; all real processes on 127.0.0.1) serving hundreds of
 * simulated dataplanes (the real DataplaneAgent over the real gRPC protocol, in the fleet benchmark's
 * forked workers) whose certificates are rotated every ~30 s, for a bounded time.
 *
 * Every sample reads, per control-plane process, RSS (/proc/<pid>/status), open descriptors
 * (/proc/<pid>/fd) and, from its /metrics, heap used, active handles and the number of metric series;
 * NATS, Redis and the fleet workers are sampled from /proc too (shown, not judged), with the JetStream
 * streams' size and Redis's used memory. At the end, per process: first-third against last-third medians,
 * least-squares slope per hour, and a verdict: "flat" when the heap grew less than HEAP_TOLERANCE over the
 * last two thirds (middle-third median to last-third median; the first third is warm-up) and descriptors,
 * handles and metric series are not growing steadily; "GROWING" otherwise.
 *
 * The certificates are judged from the certificates themselves (notBefore and notAfter read from each
 * X.509): a certificate is due for rotation at 4/5 of its validity; the workers check every dataplane's
 * certificate against the clock every 100 ms, at each certificate change and at the end.
 *
 * Exit code 1 when a control-plane process grows or exits; when a dataplane was without a valid
 * certificate at any check (or at the end); when a certificate due for rotation more than
 * ROTATION_GRACE_MS before the end was not rotated; when a rotation came before the rotation point of
 * the certificate it replaced; when a certificate was issued during the soak for another reason than
 * rotation; when a stream ended or failed to open; when the control plane counted an issuance failure
 * or a failed or unreachable rotation; 130/143 when interrupted.
 * Everything started here is stopped by PID (topology.stop(), the workers' stop), also on error or
 * Ctrl-C; a hard limit of SOAK_DURATION_S + 120 s stops the run whatever it is waiting for.
 *
 *   SOAK_DATAPLANES=300    simulated dataplanes
 *   SOAK_DURATION_S=600    how long the fleet runs once every dataplane holds a certificate
 *   SOAK_SAMPLE_S=15       pause between samples
 *   SOAK_VALIDITY_S=38     certificate validity (`dpCert.rotation.expiration`); notBefore is backdated
 *                          a few seconds and rotation comes at 4/5 of notBefore..notAfter (~30 s)
 *   SOAK_CONNECTIONS=own   own: one TLS connection per dataplane, as sidecars have (default);
 *                          shared: one HTTP/2 connection per mesh-api replica per worker
 *   SOAK_WORKERS=2         processes the simulated dataplanes are spread over
 *   SOAK_REPORT=file       also write the figures there as JSON
 *
 * The rotation schedulers keep their default pass interval (MESH_ROTATION_INTERVAL_MS, 1 s), so a
 * certificate is rotated about a second after its rotation point; the run prints the latest.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as connectNats, type NatsConnection } from 'nats';
import { createClient } from 'redis';
import { Topology, type Replica } from '@meshtls/testing';
import type { ValidityReport } from '../fleet/certificate-validity';
import {
  adminCall,
  describeValidity,
  mintTokens,
  startWorkers,
  stopWorkers,
  validityOf,
} from '../fleet/fleet-harness';
import type { FleetIdentityEvent, FleetWorkerMessage, FleetWorkerStart } from '../fleet/fleet-worker';

const DATAPLANES = positive('SOAK_DATAPLANES', 300);
const DURATION_S = positive('SOAK_DURATION_S', 600);
const SAMPLE_S = positive('SOAK_SAMPLE_S', 15);
const VALIDITY_S = positive('SOAK_VALIDITY_S', 38);
const WORKERS = positive('SOAK_WORKERS', 2);
const OWN_CONNECTIONS = process.env.SOAK_CONNECTIONS !== 'shared';
const MESH = 'soak';

/**
 * A certificate is due for rotation at this share of its notBefore..notAfter (Kuma's rule, as the README
 * states it), stated here rather than taken from the code under test.
 */
const ROTATION_POINT = 4 / 5;
/**
 * A rotation due this shortly before the end may still be on its way then (schedulers pass every second,
 * and issuance takes its time); one due earlier and not received is missed.
 */
const ROTATION_GRACE_MS = 5000;
/** Heap growth over the last two thirds (middle-third median to last-third median) still called flat. */
const HEAP_TOLERANCE = 0.1;
/** Descriptors, handles or metric series: growth over the last two thirds above this (and above 5 %) is a leak when the trend rises too. */
const COUNT_TOLERANCE = 3;
/** Beyond the soak itself: start-up, connecting, the final figures and stopping everything. */
const HARD_MARGIN_S = 120;
/** After the hard limit, what stopping gracefully may take before every child is killed. */
const FORCE_AFTER_MS = 30_000;
const CONNECT_TIMEOUT_MS = 120_000;
const FETCH_TIMEOUT_MS = 5000;

type Kind = 'control-plane' | 'infrastructure' | 'fleet';

interface Watched {
  readonly name: string;
  readonly short: string;
  readonly kind: Kind;
  readonly pid: number;
  /** Control-plane processes: their /metrics. */
  readonly metricsUrl?: string;
}

interface Sample {
  /** Seconds since the soak began (every dataplane holding a certificate). */
  readonly t: number;
  readonly alive: boolean;
  readonly rss: number;
  readonly fds: number;
  readonly heap?: number;
  readonly handles?: number;
  readonly series?: number;
}

interface WholeSample {
  readonly t: number;
  readonly rotations: number;
  readonly validNow: number;
  readonly streams: Record<string, { messages: number; bytes: number }>;
  readonly redisUsedMemory: number;
  readonly redisKeys: number;
}

type Metric = 'heap' | 'rss' | 'fds' | 'handles' | 'series';

interface MetricFigures {
  readonly firstThird: number;
  readonly middleThird: number;
  readonly lastThird: number;
  readonly growth: number;
  readonly growthPct: number;
  /** Least squares over every sample, per hour. */
  readonly slopePerHour: number;
  /** Middle-third median to last-third median, relative. */
  readonly lastTwoThirdsPct: number;
  /** Least squares over the last two thirds, per hour. */
  readonly lastTwoThirdsSlopePerHour: number;
}

interface ProcessFigures {
  readonly name: string;
  readonly kind: Kind;
  readonly pid: number;
  readonly samples: number;
  readonly exited: boolean;
  readonly metrics: Partial<Record<Metric, MetricFigures>>;
  readonly verdict: 'flat' | 'GROWING' | 'EXITED' | 'too few samples';
  readonly reasons: string[];
}

/** A certificate a dataplane received, its validity as the certificate states it. */
interface ReceivedCertificate {
  readonly serial: string;
  readonly reason: string;
  readonly receivedAt: number;
  readonly notBefore: number;
  readonly notAfter: number;
}

interface DataplaneState {
  /** Every certificate it received, in order. */
  readonly certificates: ReceivedCertificate[];
}

/** When a certificate is due for rotation, from its own validity. */
function rotationPointOf(c: ReceivedCertificate): number {
  return c.notBefore + Math.floor((c.notAfter - c.notBefore) * ROTATION_POINT);
}

const abort = new AbortController();
let exitCodeOnAbort = 1;
let hardLimitReached = false;

async function main(): Promise<void> {
  const hardLimitS = DURATION_S + HARD_MARGIN_S;
  console.log(
    `soak: ${DATAPLANES} dataplanes (${OWN_CONNECTIONS ? 'a TLS connection each' : 'shared connections'}, ${WORKERS} worker processes), ` +
      `${DURATION_S} s, certificates valid ${VALIDITY_S} s rotated at 4/5 of their validity, ` +
      `a sample every ${SAMPLE_S} s; hard limit ${hardLimitS} s`,
  );
  process.on('SIGINT', () => interrupt('SIGINT', 130));
  process.on('SIGTERM', () => interrupt('SIGTERM', 143));
  process.on('SIGHUP', () => interrupt('SIGHUP', 129));
  // The last resort if stopping gracefully hangs: every child of this process, by PID.
  process.on('exit', killOwnChildren);
  setTimeout(() => {
    hardLimitReached = true;
    interrupt(`hard limit of ${hardLimitS} s`, 1);
  }, hardLimitS * 1000).unref();

  const state = newRunState();
  let topology: Topology | undefined;
  let workers: ChildProcess[] = [];
  let error: unknown;
  try {
    topology = await Topology.start(
      { 'mesh-api': 2, 'ca-signer': 2, 'rotation-scheduler': 2, 'stats-collector': 2 },
      { MESH_LOG_LEVEL: 'error' },
    );
    throwIfAborted();
    workers = startWorkers(WORKERS);
    await soak(topology, workers, state);
  } catch (e) {
    error = e;
  } finally {
    const stopping = Date.now();
    await stopWorkers(workers);
    await topology?.stop().catch((e: Error) => console.log(`stopping the topology: ${e.message}`));
    console.log(
      `stopped the fleet workers and the ${(topology?.replicas.length ?? 0) + 2} topology processes in ${((Date.now() - stopping) / 1000).toFixed(1)} s`,
    );
  }
  if (error !== undefined && !abort.signal.aborted) {
    console.error(`soak run failed: ${(error as Error).stack ?? String(error)}`);
  }
  const ok = report(state, error);
  process.exitCode = abort.signal.aborted ? exitCodeOnAbort : ok ? 0 : 1;
}

function interrupt(why: string, code: number): void {
  if (abort.signal.aborted) {
    console.log(`${why} again: killing every child process now`);
    killOwnChildren();
    process.exit(code);
  }
  console.log(`\n${why}: stopping the soak and everything it started`);
  exitCodeOnAbort = code;
  abort.abort(new Error(`interrupted (${why})`));
  setTimeout(() => {
    console.log(`still stopping after ${FORCE_AFTER_MS / 1000} s: killing every child process`);
    killOwnChildren();
    process.exit(code);
  }, FORCE_AFTER_MS).unref();
}

function throwIfAborted(): void {
  if (abort.signal.aborted) throw abort.signal.reason;
}

/** Resolves after `ms`, or at once when the run is interrupted. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (abort.signal.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    abort.signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      abort.signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

type RunState = ReturnType<typeof newRunState>;

function newRunState() {
  return {
    watched: [] as Watched[],
    samples: new Map<string, Sample[]>(),
    whole: [] as WholeSample[],
    dataplanes: Array.from({ length: DATAPLANES }, (): DataplaneState => ({ certificates: [] })),
    /** Rotations received since the soak began (for the progress lines). */
    rotationsSoFar: 0,
    soakStartedAt: 0,
    soakEndedAt: 0,
    connectMs: 0,
    /** Streams that ended or failed to open, as the workers count them (told when they stop). */
    streamFailures: 0,
    failureSample: new Set<string>(),
    /** Whether every dataplane held a valid certificate, from the workers at the end. */
    validity: undefined as ValidityReport | undefined,
    /** The control plane's view at the end, from mesh-api's dataplanes+insights. */
    insights: undefined as undefined | { total: number; valid: number; regenerations: number },
    /** Control-plane counters at the end, summed over the replicas. */
    counters: {} as Record<string, Record<string, number>>,
    sampleErrors: 0,
  };
}

async function soak(topology: Topology, workers: ChildProcess[], state: RunState): Promise<void> {
  const [api0, api1] = topology.of('mesh-api') as [Replica, Replica];
  await adminCall(topology, 'PUT', `${api0.url}/meshes/${MESH}`, {
    type: 'Mesh',
    name: MESH,
    mtls: {
      enabledBackend: 'ca-1',
      backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: `${VALIDITY_S}s` } } }],
    },
  });
  const tokens = await mintTokens(topology, api0.url, DATAPLANES, MESH);
  throwIfAborted();
  const caCertPem = readFileSync(topology.dpCaFile, 'utf8');

  const short = {
    'mesh-api': 'api',
    'ca-signer': 'ca',
    'rotation-scheduler': 'rot',
    'stats-collector': 'col',
  };
  state.watched.push(
    ...topology.replicas.map(
      (r): Watched => ({
        name: r.instanceId,
        short: `${short[r.role]}${r.instanceId.split('-').at(-1)}`,
        kind: 'control-plane',
        pid: r.process.pid,
        metricsUrl: `${r.url}/metrics`,
      }),
    ),
    { name: 'nats-server', short: 'nats', kind: 'infrastructure', pid: topology.nats.pid },
    { name: 'redis-server', short: 'redis', kind: 'infrastructure', pid: topology.redis.pid },
    ...workers.map(
      (w, i): Watched => ({ name: `fleet worker ${i + 1}`, short: `w${i + 1}`, kind: 'fleet', pid: w.pid! }),
    ),
  );
  for (const w of state.watched) state.samples.set(w.name, []);

  for (const worker of workers) {
    worker.on('message', (message: FleetWorkerMessage) => {
      if (message.type === 'failures') {
        state.streamFailures += message.count;
        for (const s of message.sample) state.failureSample.add(s);
      }
      if (message.type === 'identities') for (const e of message.events) onIdentity(state, e);
    });
  }
  const connecting = Date.now();
  workers.forEach((worker, w) =>
    worker.send({
      type: 'start',
      addresses: [api0.dpAddress!, api1.dpAddress!],
      caCertPem,
      mesh: MESH,
      dataplanes: tokens.flatMap((token, index) => (index % WORKERS === w ? [{ index, token }] : [])),
      ownConnections: OWN_CONNECTIONS,
    } satisfies FleetWorkerStart),
  );
  const holding = () => state.dataplanes.filter((d) => d.certificates.length > 0).length;
  while (holding() < DATAPLANES) {
    throwIfAborted();
    if (Date.now() - connecting > CONNECT_TIMEOUT_MS) {
      throw new Error(
        `only ${holding()}/${DATAPLANES} dataplanes got a certificate in ${CONNECT_TIMEOUT_MS / 1000} s`,
      );
    }
    await sleep(50);
  }
  state.connectMs = Date.now() - connecting;
  state.soakStartedAt = Date.now();
  console.log(
    `all ${DATAPLANES} dataplanes hold a certificate after ${(state.connectMs / 1000).toFixed(1)} s; soaking for ${DURATION_S} s`,
  );
  console.log(
    '  progress: heap MB/open fds per control-plane process (api mesh-api, ca ca-signer, rot rotation-scheduler, col stats-collector)',
  );

  const nc = await connectNats({
    servers: topology.natsUrls,
    name: 'soak-observer',
    ...topology.natsObserver(),
  });
  const redis = createClient({ url: topology.redis.url });
  await redis.connect();
  try {
    const end = state.soakStartedAt + DURATION_S * 1000;
    let previousRotations = 0;
    for (let i = 0; ; i++) {
      await sleep(Math.min(state.soakStartedAt + i * SAMPLE_S * 1000, end) - Date.now());
      if (abort.signal.aborted) break;
      const now = Math.min(Date.now(), end);
      const t = (now - state.soakStartedAt) / 1000;
      await sampleAll(state, t, nc, redis);
      const whole = state.whole.at(-1)!;
      const other = state.dataplanes.reduce(
        (n, d) =>
          n +
          d.certificates.filter((c) => c.receivedAt > state.soakStartedAt && c.reason !== 'rotation').length,
        0,
      );
      const figures = state.watched
        .filter((w) => w.kind === 'control-plane')
        .map((w) => {
          const s = state.samples.get(w.name)!.at(-1)!;
          return `${w.short} ${s.alive ? `${mb(s.heap ?? NaN)}/${s.fds}` : 'EXITED'}`;
        });
      console.log(
        `  ${t.toFixed(0).padStart(5)} s  rotations ${String(whole.rotations).padStart(6)} (+${whole.rotations - previousRotations})` +
          `  other ${other}  valid ${whole.validNow}/${DATAPLANES}  ${figures.join('  ')}`,
      );
      previousRotations = whole.rotations;
      if (Date.now() >= end) break;
    }
    state.soakEndedAt = Math.min(Date.now(), end);
    if (!abort.signal.aborted) {
      state.validity = await validityOf(workers).catch((e: Error) => {
        console.log(`  (the workers' validity reports could not be read: ${e.message})`);
        return undefined;
      });
      state.insights = await insightsView(api0.url).catch((e: Error) => {
        console.log(`  (dataplanes+insights could not be read: ${e.message})`);
        return undefined;
      });
      state.counters = await countersOf(topology);
    }
  } finally {
    await nc.close().catch(() => undefined);
    await redis.close().catch(() => undefined);
  }
}

function onIdentity(state: RunState, e: FleetIdentityEvent): void {
  const { serial, reason, at: receivedAt, notBefore, notAfter } = e;
  state.dataplanes[e.index]!.certificates.push({ serial, reason, receivedAt, notBefore, notAfter });
  if (state.soakStartedAt > 0 && reason === 'rotation') state.rotationsSoFar++;
}

/**
 * What the certificates say of the soak, per dataplane from the certificate it held as the soak began to
 * the one it held at its end: each certificate whose rotation point (4/5 of its own validity) fell before
 * the end was due, and must have been replaced by a rotation, or be due less than ROTATION_GRACE_MS
 * before the end; no rotation may come before the rotation point of the certificate it replaces.
 */
function certificateFigures(state: RunState) {
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

async function sampleAll(
  state: RunState,
  t: number,
  nc: NatsConnection,
  redis: { info(section: string): Promise<unknown>; dbSize(): Promise<number> },
): Promise<void> {
  const samples = await Promise.all(state.watched.map((w) => sampleOne(state, w, t)));
  state.watched.forEach((w, i) => state.samples.get(w.name)!.push(samples[i]!));
  const streams: WholeSample['streams'] = {};
  try {
    const jsm = await nc.jetstreamManager();
    for await (const info of jsm.streams.list()) {
      streams[info.config.name] = { messages: info.state.messages, bytes: info.state.bytes };
    }
  } catch {
    state.sampleErrors++;
  }
  let redisUsedMemory = NaN;
  let redisKeys = NaN;
  try {
    redisUsedMemory = Number(/used_memory:(\d+)/.exec(String(await redis.info('memory')))?.[1] ?? NaN);
    redisKeys = await redis.dbSize();
  } catch {
    state.sampleErrors++;
  }
  const now = Date.now();
  state.whole.push({
    t,
    rotations: state.rotationsSoFar,
    // By the newest certificate each dataplane was sent (the workers' own checks are in the report).
    validNow: state.dataplanes.filter((d) => {
      const c = d.certificates.at(-1);
      return c !== undefined && c.notBefore <= now && now < c.notAfter;
    }).length,
    streams,
    redisUsedMemory,
    redisKeys,
  });
}

async function sampleOne(state: RunState, w: Watched, t: number): Promise<Sample> {
  let rss: number;
  let fds: number;
  try {
    const status = readFileSync(`/proc/${w.pid}/status`, 'utf8');
    if (/^State:\s+Z/m.test(status)) throw new Error('zombie');
    rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) * 1024;
    fds = readdirSync(`/proc/${w.pid}/fd`).length;
  } catch {
    return { t, alive: false, rss: NaN, fds: NaN };
  }
  if (!w.metricsUrl) return { t, alive: true, rss, fds };
  try {
    const response = await fetch(w.metricsUrl, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    const series = parseMetrics(await response.text());
    const value = (name: string) => series.find((s) => s.name === name)?.value ?? NaN;
    return {
      t,
      alive: true,
      rss,
      fds,
      heap: value('nodejs_heap_size_used_bytes'),
      handles: value('nodejs_active_handles_total'),
      series: series.length,
    };
  } catch {
    state.sampleErrors++;
    return { t, alive: true, rss, fds };
  }
}

interface Series {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The Prometheus text format, one entry per series. */
function parseMetrics(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Counters worth a line at the end, summed over every replica, by the label that tells them apart. */
async function countersOf(topology: Topology): Promise<Record<string, Record<string, number>>> {
  const wanted: Record<string, string> = {
    mesh_rotations_total: 'result',
    mesh_dataplane_certificates_issued_total: 'reason',
    mesh_dataplane_certificate_failures_total: 'reason',
    mesh_dataplane_certificate_request_retries_total: 'cause',
    mesh_ca_admission_rejections_total: 'reason',
  };
  const totals: Record<string, Record<string, number>> = {};
  for (const replica of topology.replicas) {
    try {
      const response = await fetch(`${replica.url}/metrics`, {
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      for (const s of parseMetrics(await response.text())) {
        const label = wanted[s.name];
        if (label === undefined) continue;
        const byLabel = (totals[s.name] ??= {});
        const key = s.labels[label] ?? '';
        byLabel[key] = (byLabel[key] ?? 0) + s.value;
      }
    } catch {
      // a replica that does not answer shows as missing from the sums
    }
  }
  return totals;
}

/** What the control plane recorded (stats-collector's insights, read through mesh-api). */
async function insightsView(api: string): Promise<{ total: number; valid: number; regenerations: number }> {
  let valid = 0;
  let regenerations = 0;
  let total = 0;
  const now = Date.now();
  for (let offset = 0; ; ) {
    const response = await fetch(`${api}/meshes/${MESH}/dataplanes+insights?size=1000&offset=${offset}`, {
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    const page = (await response.json()) as {
      total: number;
      items: {
        dataplaneInsight?: {
          mTLS?: { certificateExpirationTime?: string; certificateRegenerations?: number };
        };
      }[];
      next: string | null;
    };
    total = page.total;
    for (const item of page.items) {
      const mtls = item.dataplaneInsight?.mTLS;
      if (mtls?.certificateExpirationTime && Date.parse(mtls.certificateExpirationTime) > now) valid++;
      regenerations += mtls?.certificateRegenerations ?? 0;
    }
    offset += page.items.length;
    if (page.next === null || page.items.length === 0) break;
  }
  return { total, valid, regenerations };
}

/** Prints the figures and verdicts (and writes SOAK_REPORT); true when nothing leaked or fell short. */
function report(state: RunState, error: unknown): boolean {
  if (state.whole.length === 0) {
    console.log('verdict: FAILED: the soak did not get as far as its first sample');
    writeReport({ ok: false, error: String(error), interrupted: abort.signal.aborted });
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
  const sum = (name: string) => Object.values(counters[name] ?? {}).reduce((a, b) => a + b, 0);
  const byLabel = (name: string) =>
    Object.entries(counters[name] ?? {})
      .map(([k, v]) => `${k || 'all'} ${v}`)
      .join(', ') || 'none';
  const controlPlaneFailures =
    sum('mesh_dataplane_certificate_failures_total') +
    (counters.mesh_rotations_total?.failed ?? 0) +
    (counters.mesh_rotations_total?.unreachable ?? 0);
  const judged = processes.filter((p) => p.kind === 'control-plane');
  const growing = judged.filter((p) => p.verdict !== 'flat');
  const validity = state.validity;
  const validAtEnd = validity === undefined ? NaN : DATAPLANES - validity.invalidAtEnd.length;
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

  const problems: string[] = [];
  if (abort.signal.aborted) problems.push(hardLimitReached ? 'hard limit reached' : 'interrupted');
  if (error !== undefined && !abort.signal.aborted) problems.push(`error: ${(error as Error).message}`);
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
  const ok = problems.length === 0;
  console.log(
    ok
      ? `\nverdict: flat — ${judged.length} control-plane processes flat, every dataplane held a valid certificate at every check, ` +
          `${f.rotatedWhenDue} of ${f.due} certificates due rotated (${f.pending} due in the last ${ROTATION_GRACE_MS / 1000} s on their way), none early, no failures`
      : `\nverdict: FAILED — ${problems.join('; ')}`,
  );
  writeReport({
    ok,
    problems,
    interrupted: abort.signal.aborted,
    config: {
      dataplanes: DATAPLANES,
      durationS: DURATION_S,
      sampleS: SAMPLE_S,
      validityS: VALIDITY_S,
      rotationPoint: ROTATION_POINT,
      rotationGraceS: ROTATION_GRACE_MS / 1000,
      ownConnections: OWN_CONNECTIONS,
      workers: WORKERS,
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

function figuresOf(w: Watched, samples: readonly Sample[]): ProcessFigures {
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

function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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

/** SIGKILL to every process whose parent is this one: what the topology and the workers started. */
function killOwnChildren(): void {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

function mb(bytes: number): string {
  return Number.isNaN(bytes) ? '?' : (bytes / 2 ** 20).toFixed(1);
}

function count(n: number): string {
  return Number.isNaN(n) ? '?' : String(Math.round(n * 10) / 10);
}

function signed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return '?';
  const s = x.toFixed(digits);
  return x > 0 && Number(s) !== 0 ? `+${s}` : Number(s) === 0 ? (0).toFixed(digits) : s;
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

void main().catch((error: unknown) => {
  console.error(`soak run failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
