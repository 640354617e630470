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
 *   FLEET_HEAP_DIR=DIR       heap snapshots of both mesh-api replicas before the fleet connects and once it
 *                            has settled (written into DIR; compare them with heap-diff.js); each snapshot
 *                            collects garbage first, and the RSS after it is printed beside the usual figure
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createClient } from 'redis';
import { Topology, type Replica } from '@meshtls/testing';
import type { FleetIdentityEvent, FleetWorkerMessage, FleetWorkerStart } from './fleet-worker';
import type { ValidityReport } from './certificate-validity';
import {
  adminCall,
  describeValidity,
  v8Of,
  heapSnapshotNodeArgs,
  mintTokens,
  rssOf,
  snapshotHeaps,
  startWorkers,
  stopWorkers,
  until,
  validityOf,
} from './fleet-harness';

/** Processes simulating the fleet: dataplanes are processes of their own in real life, not one loop. */
const WORKERS = Number(process.env.FLEET_WORKERS ?? 2);

const TARGETS = { convergenceMs: 10_000, memoryPerDataplane: 20 * 1024, redisPerLease: 1024 };

interface FleetResult {
  readonly size: number;
  readonly firstIdentityP50: number;
  readonly firstIdentityP99: number;
  readonly connectAllMs: number;
  readonly issueRate: number;
  readonly moved: number;
  readonly convergenceMs: number;
  readonly floorMs: number;
  readonly memoryPerDataplane: number;
  /** Growth of the replicas' V8 heap (committed, used) and external memory, read with the RSS. */
  readonly v8PerDataplane: { committed: number; used: number; external: number };
  /** With FLEET_HEAP_DIR: RSS growth and V8 heap growth, each read right after the full GC of a snapshot. */
  readonly afterGc?: { rssPerDataplane: number; heapPerDataplane: number; snapshots: string[] };
  readonly redisPerLease: number;
  /** Share of one core each process used during convergence. */
  readonly convergenceCpu: Record<string, number>;
  /** From each dataplane's first certificate until convergence after the kill. */
  readonly validity: ValidityReport;
}

async function main(): Promise<void> {
  const sizes = (process.env.FLEET_SIZES ?? '2000,10000').split(',').map(Number);
  const connections = process.env.FLEET_CONNECTIONS === 'own' ? 'own' : 'shared';
  console.log(
    `fleet benchmark: sizes ${sizes.join(', ')}; ${connections} connections; 2 cores shared by everything`,
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
  printResults(results);
  // Not a target but a promise: a dataplane without a valid certificate fails the run.
  if (results.some((r) => r.validity.invalidMoments + r.validity.invalidAtEnd.length > 0))
    process.exitCode = 1;
}

async function runFleet(size: number, connections: 'shared' | 'own'): Promise<FleetResult> {
  const topology = await Topology.start(
    { 'mesh-api': 2, 'ca-signer': 2, 'rotation-scheduler': 1 },
    { MESH_LOG_LEVEL: 'error', ...(JSON.parse(process.env.FLEET_CP_ENV ?? '{}') as Record<string, string>) },
  );
  let workers: ChildProcess[] = [];
  const failures = { count: 0, sample: [] as string[] };
  try {
    const [api0, api1] = topology.of('mesh-api') as [Replica, Replica];
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
    const heapBefore = heapDir ? await snapshotHeaps([api0, api1], heapDir, `${size}-before`) : undefined;
    const rssBefore = rssOf(api0) + rssOf(api1);
    const v8Before = await v8Of(topology, [api0, api1]);
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
    workers.forEach((worker, w) =>
      worker.send({
        type: 'start',
        addresses: [api0.dpAddress!, api1.dpAddress!],
        caCertPem,
        mesh: 'fleet',
        dataplanes: tokens.flatMap((token, index) => (index % WORKERS === w ? [{ index, token }] : [])),
        ownConnections: connections === 'own',
      } satisfies FleetWorkerStart),
    );
    await until(
      () => firstIdentity.size === size,
      300_000,
      () => `${firstIdentity.size}/${size} have an identity`,
    );
    const connectAllMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 2000)); // leases written, buffers settled
    const memoryPerDataplane = (rssOf(api0) + rssOf(api1) - rssBefore) / size;
    const v8After = await v8Of(topology, [api0, api1]);
    const v8PerDataplane = {
      committed: (v8After.committed - v8Before.committed) / size,
      used: (v8After.used - v8Before.used) / size,
      external: (v8After.external - v8Before.external) / size,
    };
    const redisPerLease = ((await usedMemory(redis)) - redisBefore) / size;
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
    const cpuBefore = cpuSnapshot(cpuPids, workers);
    const killedAtMono = performance.now();
    killedAt = Date.now();
    process.kill(api0.process.pid, 'SIGKILL');
    await until(
      () => renewed.size === moving.size,
      120_000,
      () => `${renewed.size}/${moving.size} re-issued after the kill`,
    );
    const convergenceMs = performance.now() - killedAtMono;
    const cpuAfter = cpuSnapshot(cpuPids, workers);
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

async function usedMemory(redis: { info(section: string): Promise<unknown> }): Promise<number> {
  const info = String(await redis.info('memory'));
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** CPU milliseconds used so far by each group of processes (utime + stime), the fleet workers included. */
function cpuSnapshot(
  groups: Record<string, number[]>,
  workers: readonly ChildProcess[],
): Record<string, number> {
  const ticksToMs = 10; // USER_HZ is 100 on Linux
  const cpuOf = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * ticksToMs;
  };
  const all = { ...groups, [`simulated fleet (${workers.length} processes)`]: workers.map((w) => w.pid!) };
  return Object.fromEntries(
    Object.entries(all).map(([k, pids]) => [k, pids.reduce((n, p) => n + cpuOf(p), 0)]),
  );
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

function printResults(results: readonly FleetResult[]): void {
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  for (const r of results) {
    const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES');
    console.log(`\nfleet of ${r.size} dataplanes`);
    console.log(
      `  first identity              p50 ${s(r.firstIdentityP50)}, p99 ${s(r.firstIdentityP99)} (all connected in ${s(r.connectAllMs)}, ${r.issueRate.toFixed(0)} identities/s)`,
    );
    console.log(
      `  convergence after kill      ${s(r.convergenceMs)} for ${r.moved} dataplanes; target ${s(TARGETS.convergenceMs)} (${verdict(r.convergenceMs < TARGETS.convergenceMs)}); floor at the connect-time rate ${s(r.floorMs)}`,
    );
    const cpu = Object.entries(r.convergenceCpu).map(([k, v]) => `${k} ${(v * 100).toFixed(0)} %`);
    console.log(`  CPU during convergence (of one core): ${cpu.join(', ')}`);
    console.log(
      `  control-plane memory        ${kb(r.memoryPerDataplane)} per dataplane (RSS of both mesh-api replicas); target ${kb(TARGETS.memoryPerDataplane)} (${verdict(r.memoryPerDataplane < TARGETS.memoryPerDataplane)})`,
    );
    const v8 = r.v8PerDataplane;
    console.log(
      `    of which V8 heap         ${kb(v8.committed)} committed (${kb(v8.used)} in use, garbage included), external ${kb(v8.external)}; native and allocator ${kb(r.memoryPerDataplane - v8.committed - v8.external)}`,
    );
    if (r.afterGc) {
      console.log(
        `  after a full GC             RSS ${kb(r.afterGc.rssPerDataplane)}, V8 heap ${kb(r.afterGc.heapPerDataplane)} per dataplane (both replicas); snapshots ${r.afterGc.snapshots.join(' ')}`,
      );
    }
    console.log(
      `  Redis                       ${r.redisPerLease.toFixed(0)} bytes per lease (used_memory); target ${TARGETS.redisPerLease} (${verdict(r.redisPerLease < TARGETS.redisPerLease)})`,
    );
    const lapsed = r.validity.invalidMoments + r.validity.invalidAtEnd.length;
    console.log(
      `  valid certificate           ${describeValidity(r.validity)}; target none (${verdict(lapsed === 0)})`,
    );
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
