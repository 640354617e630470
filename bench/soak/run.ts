/**
 * The run itself: the topology and the fleet workers started and stopped, the dataplanes connected, the
 * soak loop sampling every SOAK_SAMPLE_S with a progress line, and the certificates the workers report.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as connectNats } from 'nats';
import { createClient } from 'redis';
import { Topology, type Replica } from '@meshtls/testing';
import {
  adminCall,
  mintTokens,
  sharedConnectionsEnv,
  startFleet,
  startWorkers,
  stopWorkers,
  validityOf,
} from '../fleet/fleet-harness';
import type { FleetIdentityEvent, FleetWorkerMessage } from '../fleet/fleet-worker';
import { mb } from './format';
import { countersOf, insightsView, sampleAll } from './sample';
import type { DataplaneState, RunState, SoakConfig, Watched } from './types';

const MESH = 'soak';
const CONNECT_TIMEOUT_MS = 120_000;

export function newRunState(dataplanes: number): RunState {
  return {
    watched: [],
    samples: new Map(),
    whole: [],
    dataplanes: Array.from({ length: dataplanes }, (): DataplaneState => ({ certificates: [] })),
    rotationsSoFar: 0,
    soakStartedAt: 0,
    soakEndedAt: 0,
    connectMs: 0,
    streamFailures: 0,
    failureSample: new Set(),
    validity: undefined,
    insights: undefined,
    counters: {},
    sampleErrors: 0,
  };
}

/**
 * Starts the topology and the fleet workers, soaks, and stops everything it started, also on error or
 * when `signal` aborts; fills in `state`. Resolves to what the run threw, undefined when nothing did.
 */
export async function run(state: RunState, config: SoakConfig, signal: AbortSignal): Promise<unknown> {
  let topology: Topology | undefined;
  let workers: ChildProcess[] = [];
  let error: unknown;
  try {
    topology = await Topology.start(
      { 'mesh-api': 2, 'ca-signer': 2, 'rotation-scheduler': 2, 'stats-collector': 2 },
      // Shared connections (SOAK_CONNECTIONS=shared) may carry the whole fleet.
      { MESH_LOG_LEVEL: 'error', ...sharedConnectionsEnv(config.dataplanes) },
    );
    signal.throwIfAborted();
    workers = startWorkers(config.workers);
    await soak(topology, workers, state, config, signal);
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
  return error;
}

/** Resolves after `ms`, or at once when the run is interrupted. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

async function soak(
  topology: Topology,
  workers: ChildProcess[],
  state: RunState,
  config: SoakConfig,
  signal: AbortSignal,
): Promise<void> {
  const [api0, api1] = topology.of('mesh-api') as [Replica, Replica];
  await adminCall(topology, 'PUT', `${api0.url}/meshes/${MESH}`, {
    type: 'Mesh',
    name: MESH,
    mtls: {
      enabledBackend: 'ca-1',
      backends: [
        { name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: `${config.validityS}s` } } },
      ],
    },
  });
  const tokens = await mintTokens(topology, api0.url, config.dataplanes, MESH);
  signal.throwIfAborted();
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
  startFleet(workers, {
    addresses: [api0.dpAddress!, api1.dpAddress!],
    caCertPem,
    mesh: MESH,
    tokens,
    ownConnections: config.ownConnections,
  });
  const holding = () => state.dataplanes.filter((d) => d.certificates.length > 0).length;
  while (holding() < config.dataplanes) {
    signal.throwIfAborted();
    if (Date.now() - connecting > CONNECT_TIMEOUT_MS) {
      throw new Error(
        `only ${holding()}/${config.dataplanes} dataplanes got a certificate in ${CONNECT_TIMEOUT_MS / 1000} s`,
      );
    }
    await sleep(50, signal);
  }
  state.connectMs = Date.now() - connecting;
  state.soakStartedAt = Date.now();
  console.log(
    `all ${config.dataplanes} dataplanes hold a certificate after ${(state.connectMs / 1000).toFixed(1)} s; soaking for ${config.durationS} s`,
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
    const end = state.soakStartedAt + config.durationS * 1000;
    let previousRotations = 0;
    for (let i = 0; ; i++) {
      await sleep(Math.min(state.soakStartedAt + i * config.sampleS * 1000, end) - Date.now(), signal);
      if (signal.aborted) break;
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
          `  other ${other}  valid ${whole.validNow}/${config.dataplanes}  ${figures.join('  ')}`,
      );
      previousRotations = whole.rotations;
      if (Date.now() >= end) break;
    }
    state.soakEndedAt = Math.min(Date.now(), end);
    if (!signal.aborted) {
      state.validity = await validityOf(workers).catch((e: Error) => {
        console.log(`  (the workers' validity reports could not be read: ${e.message})`);
        return undefined;
      });
      state.insights = await insightsView(api0.url, MESH).catch((e: Error) => {
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
