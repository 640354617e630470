/**
 * Fleet benchmark: simulated dataplanes (the real DataplaneAgent, many per process, speaking the real
 * gRPC protocol) against two mesh-api replicas, two ca-signer replicas, a rotation scheduler, NATS and
 * Redis, all real processes on 127.0.0.1. For each fleet size it prints time to first identity,
 * convergence after SIGKILL of one mesh-api replica, control-plane memory per dataplane and Redis bytes
 * per lease, next to the targets and to the issuance floor measured in the same run; and whether every
 * dataplane held a valid certificate throughout, from its first one until convergence after the kill:
 * each certificate's notBefore/notAfter (read from the certificate) against the clock, for every
 * dataplane every 100 ms, at each certificate change and at the end.
 *
 *   FLEET_SIZES=2000,10000   fleet sizes, run one after the other (fresh topology each)
 *   FLEET_CONNECTIONS=shared shared: simulated dataplanes share one HTTP/2 connection per replica (default);
 *                            own: one TLS connection per dataplane, as real sidecars have
 *   FLEET_CP_ENV='{"MESH_CA_MAX_WAIT_MS":"60000"}'  extra settings for every control-plane process
 *   FLEET_WORKERS=2          processes the simulated dataplanes are spread over
 *   APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"   profile every control-plane process
 *   FLEET_HEAP_TRIM_INTERVAL=5s  the replicas' MESH_HEAP_TRIM_INTERVAL (30s in production; off: none): memory is read
 *                            again four intervals after the burst ("settled": the trimmer has seen the burst
 *                            end), start-up's trimmed before
 *   FLEET_ALLOCATOR=jemalloc the control plane's malloc: jemalloc (preloaded with the image's MALLOC_CONF, as
 *                            the image does; the default when libjemalloc.so.2 is installed) or glibc
 *   FLEET_HEAP_DIR=DIR       heap snapshots of both mesh-api replicas before the fleet connects and once it
 *                            has settled (written into DIR; compare them with heap-diff.js); each snapshot
 *                            collects garbage first, and the RSS after it is printed beside the usual figure;
 *                            writing one takes memory of its own, so read RSS from a run without snapshots
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createClient } from 'redis';
import { parseDuration } from '@meshtls/domain';
import { Topology, type Replica } from '@meshtls/testing';
import { percentile } from '../stats';
import type { FleetIdentityEvent, FleetWorkerMessage } from './fleet-worker';
import { printResults, settleDelayMs, type FleetResult } from './fleet-report';
import {
  adminCall,
  cpuMsOf,
  heapTrimsOf,
  v8Of,
  heapSnapshotNodeArgs,
  mintTokens,
  jemallocLibrary,
  rssOf,
  snapshotHeaps,
  startFleet,
  startWorkers,
  stopWorkers,
  until,
  usedMemory,
  validityOf,
  sharedConnectionsEnv,
} from './fleet-harness';

/** Processes simulating the fleet: dataplanes are processes of their own in real life, not one loop. */
const WORKERS = Number(process.env.FLEET_WORKERS ?? 2);
const JEMALLOC = process.env.FLEET_ALLOCATOR === 'glibc' ? undefined : jemallocLibrary();
if (process.env.FLEET_ALLOCATOR === 'jemalloc' && !JEMALLOC)
  throw new Error('FLEET_ALLOCATOR=jemalloc: no libjemalloc.so.2 found');
/** jemalloc's settings in the image (the Dockerfile's MALLOC_CONF): freed pages go back on a timer, idle or not. */
const IMAGE_MALLOC_CONF = 'background_thread:true';
const TRIM_SETTING = process.env.FLEET_HEAP_TRIM_INTERVAL ?? '5s';
/** 0: the replicas do not trim (`off`); memory is still read again as settled (`settleDelayMs`). */
const TRIM_INTERVAL_MS = TRIM_SETTING === 'off' ? 0 : (parseDuration(TRIM_SETTING) ?? 5000);

async function main(): Promise<void> {
  const sizes = (process.env.FLEET_SIZES ?? '2000,10000').split(',').map(Number);
  const connections = process.env.FLEET_CONNECTIONS === 'own' ? 'own' : 'shared';
  console.log(
    `fleet benchmark: sizes ${sizes.join(', ')}; ${connections} connections; control plane's malloc: ${JEMALLOC ? `jemalloc (${JEMALLOC})` : 'glibc'}; 2 cores shared by everything`,
  );
  if (process.env.FLEET_HEAP_DIR) {
    const extra = heapSnapshotNodeArgs(process.env.FLEET_HEAP_DIR);
    process.env.APP_NODE_ARGS = `${process.env.APP_NODE_ARGS ?? ''} ${extra}`.trim();
  }
  const results: FleetResult[] = [];
  for (const size of sizes) {
    try {
      results.push(await runFleet(size, connections));
    } catch (error) {
      console.log(`fleet of ${size}: did not complete: ${(error as Error).message}`);
    }
  }
  printResults(results, TRIM_INTERVAL_MS);
  // Not a target but a promise: a dataplane without a valid certificate fails the run.
  if (results.some((r) => r.validity.invalidMoments + r.validity.invalidAtEnd.length > 0))
    process.exitCode = 1;
}

async function runFleet(size: number, connections: 'shared' | 'own'): Promise<FleetResult> {
  const topology = await Topology.start(
    { 'mesh-api': 2, 'ca-signer': 2, 'rotation-scheduler': 1 },
    {
      MESH_LOG_LEVEL: 'error',
      MESH_HEAP_TRIM_INTERVAL: TRIM_INTERVAL_MS ? `${TRIM_INTERVAL_MS}ms` : 'off',
      ...sharedConnectionsEnv(size),
      ...(JEMALLOC ? { LD_PRELOAD: JEMALLOC, MALLOC_CONF: IMAGE_MALLOC_CONF } : {}),
      ...(JSON.parse(process.env.FLEET_CP_ENV ?? '{}') as Record<string, string>),
    },
  );
  let workers: ChildProcess[] = [];
  const failures = { count: 0, sample: [] as string[] };
  try {
    const [api0, api1] = topology.of('mesh-api') as [Replica, Replica];
    // Read right after each replica's start-up trim has given its garbage back (the trims after the burst
    // give back the mesh's and the tokens' too), so that the growth measured is the fleet's.
    const startupTrims = (await heapTrimsOf(topology, [api0, api1], TRIM_INTERVAL_MS ? [0, 0] : undefined))
      .counts;
    const rssBefore = rssOf(api0) + rssOf(api1);
    const v8Before = await v8Of(topology, [api0, api1]);
    await adminCall(topology, 'PUT', `${api0.url}/meshes/fleet`, {
      type: 'Mesh',
      name: 'fleet',
      mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
    });
    const tokens = await mintTokens(topology, api0.url, size);
    const caCertPem = readFileSync(topology.dpCaFile, 'utf8');
    const redis = createClient({ url: topology.redis.url });
    redis.on('error', (e: Error) => console.log(`  (Redis client of the benchmark: ${e.message})`));
    await redis.connect();
    const heapDir = process.env.FLEET_HEAP_DIR;
    // Read after the RSS: writing a snapshot takes memory of its own.
    const heapBefore = heapDir ? await snapshotHeaps([api0, api1], heapDir, `${size}-before`) : undefined;
    const redisBefore = await usedMemory(redis);

    workers = startWorkers(WORKERS);
    const latest = new Map<number, FleetIdentityEvent>();
    const firstIdentity = new Map<number, number>();
    const renewed = new Set<number>();
    let killedAt = Infinity;
    let moving = new Set<number>();
    for (const worker of workers) {
      worker.on('message', (message: FleetWorkerMessage) => {
        if (message.type === 'failures') {
          failures.count += message.count;
          failures.sample.push(...message.sample);
        }
        if (message.type !== 'identities') return;
        for (const e of message.events) {
          if (!firstIdentity.has(e.index)) firstIdentity.set(e.index, e.sinceStartMs);
          latest.set(e.index, e);
          if (
            e.at >= killedAt &&
            moving.has(e.index) &&
            e.connectedTo === api1.dpAddress &&
            e.reason === 'reconnect'
          ) {
            renewed.add(e.index);
          }
        }
      });
    }
    const started = performance.now();
    startFleet(workers, {
      addresses: [api0.dpAddress!, api1.dpAddress!],
      caCertPem,
      mesh: 'fleet',
      tokens,
      ownConnections: connections === 'own',
    });
    await until(
      () => firstIdentity.size === size,
      300_000,
      () => `${firstIdentity.size}/${size} have an identity`,
    );
    const connectAllMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 2000)); // leases written, buffers settled
    const memoryPerDataplane = (rssOf(api0) + rssOf(api1) - rssBefore) / size;
    const redisPerLease = ((await usedMemory(redis)) - redisBefore) / size;
    await new Promise((r) => setTimeout(r, settleDelayMs(TRIM_INTERVAL_MS)));
    const trimmed = await heapTrimsOf(topology, [api0, api1]);
    const settled = {
      rssPerDataplane: (rssOf(api0) + rssOf(api1) - rssBefore) / size,
      pauseMs: trimmed.pauseMs,
      trims: trimmed.counts.map((c, i) => c - startupTrims[i]!),
    };
    const v8After = await v8Of(topology, [api0, api1]);
    const v8PerDataplane = {
      committed: (v8After.committed - v8Before.committed) / size,
      used: (v8After.used - v8Before.used) / size,
      external: (v8After.external - v8Before.external) / size,
    };
    let afterGc: FleetResult['afterGc'];
    if (heapDir && heapBefore) {
      const heapAfter = await snapshotHeaps([api0, api1], heapDir, `${size}-after`);
      afterGc = {
        rssPerDataplane: (heapAfter.rss - heapBefore.rss) / size,
        heapPerDataplane: (heapAfter.heap - heapBefore.heap) / size,
        snapshots: [...heapBefore.files, ...heapAfter.files],
      };
    }
    await redis.close();

    // Kill the replica holding half the fleet; measure until each of its dataplanes holds a new certificate.
    moving = new Set(
      [...latest.values()].filter((e) => e.connectedTo === api0.dpAddress).map((e) => e.index),
    );
    const cpuPids = {
      'surviving mesh-api': [api1.process.pid],
      'ca-signers': topology.of('ca-signer').map((r) => r.process.pid),
      nats: [topology.nats.pid],
      redis: [topology.redis.pid],
    };
    const fleetPids = { [`simulated fleet (${workers.length} processes)`]: workers.map((w) => w.pid!) };
    const cpuBefore = cpuMsOf({ ...cpuPids, ...fleetPids });
    const killedAtMono = performance.now();
    killedAt = Date.now();
    process.kill(api0.process.pid, 'SIGKILL');
    await until(
      () => renewed.size === moving.size,
      120_000,
      () => `${renewed.size}/${moving.size} re-issued after the kill`,
    );
    const convergenceMs = performance.now() - killedAtMono;
    const cpuAfter = cpuMsOf({ ...cpuPids, ...fleetPids });
    const validity = await validityOf(workers);
    const convergenceCpu = Object.fromEntries(
      Object.keys(cpuAfter).map((k) => [k, (cpuAfter[k]! - cpuBefore[k]!) / convergenceMs]),
    );
    const issueRate = size / (connectAllMs / 1000);
    return {
      size,
      firstIdentityP50: percentile([...firstIdentity.values()], 0.5),
      firstIdentityP99: percentile([...firstIdentity.values()], 0.99),
      connectAllMs,
      issueRate,
      moved: moving.size,
      convergenceMs,
      floorMs: (moving.size / issueRate) * 1000,
      memoryPerDataplane,
      settled,
      v8PerDataplane,
      ...(afterGc ? { afterGc } : {}),
      redisPerLease,
      convergenceCpu,
      validity,
    };
  } finally {
    await stopWorkers(workers);
    await topology.stop();
    console.log(
      `  (streams that ended or failed to open: ${failures.count}; e.g. ${[...new Set(failures.sample)].slice(0, 3).join(' | ')})`,
    );
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
