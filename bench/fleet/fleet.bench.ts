/**
 * Fleet benchmark: simulated dataplanes (the real DataplaneAgent, many per process, speaking the real
 * gRPC protocol) against two mesh-api replicas, two ca-signer replicas, a rotation scheduler, NATS and
 * Redis, all real processes on 127.0.0.1. For each fleet size it prints time to first identity,
 * convergence after SIGKILL of one mesh-api replica, control-plane memory per dataplane and Redis bytes
 * per lease, next to the targets and to the issuance floor measured in the same run.
 *
 *   FLEET_SIZES=2000,10000   fleet sizes, run one after the other (fresh topology each)
 *   FLEET_CONNECTIONS=shared shared: simulated dataplanes share one HTTP/2 connection per replica (default);
 *                            own: one TLS connection per dataplane, as real sidecars have
 *   APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"   profile every control-plane process
 */
import { readFileSync } from 'node:fs';
import { createClient } from 'redis';
import { DataplaneAgent, grpcCredentials } from '@meshtls/dataplane-agent';
import { Topology, type Replica } from '@meshtls/testing';

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
  readonly redisPerLease: number;
  readonly withoutCertificate: number;
  /** Share of one core each process used during convergence. */
  readonly convergenceCpu: Record<string, number>;
}

async function main(): Promise<void> {
  const sizes = (process.env.FLEET_SIZES ?? '2000,10000').split(',').map(Number);
  const connections = process.env.FLEET_CONNECTIONS === 'own' ? 'own' : 'shared';
  console.log(
    `fleet benchmark: sizes ${sizes.join(', ')}; ${connections} connections; 2 cores shared by everything`,
  );
  const results: FleetResult[] = [];
  for (const size of sizes) {
    try {
      results.push(await runFleet(size, connections));
    } catch (error) {
      console.log(`fleet of ${size}: did not complete: ${(error as Error).message}`);
    }
  }
  printResults(results);
}

async function runFleet(size: number, connections: 'shared' | 'own'): Promise<FleetResult> {
  const topology = await Topology.start(
    { 'mesh-api': 2, 'ca-signer': 2, 'rotation-scheduler': 1 },
    { MESH_LOG_LEVEL: 'error' },
  );
  const agents: DataplaneAgent[] = [];
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
    await redis.connect();
    const rssBefore = rssOf(api0) + rssOf(api1);
    const redisBefore = await usedMemory(redis);

    // One credentials object for all: gRPC then multiplexes the simulated dataplanes over one connection
    // per replica. Without it (FLEET_CONNECTIONS=own) each has its own TLS connection, as sidecars do.
    const shared = grpcCredentials.createSsl(Buffer.from(caCertPem));
    const started = performance.now();
    const firstIdentity: number[] = [];
    for (let i = 0; i < size; i++) {
      const addresses = [api0.dpAddress!, api1.dpAddress!];
      const agent = new DataplaneAgent({
        cpAddresses: i % 2 === 0 ? addresses : [...addresses].reverse(),
        caCertPem,
        mesh: 'fleet',
        name: `dp-${i}`,
        token: tokens[i]!,
        dataplane: dataplaneDoc(i),
        serverName: 'localhost',
        ...(connections === 'shared' ? { credentials: shared } : {}),
      });
      const t0 = performance.now();
      agent.once('identity', () => firstIdentity.push(performance.now() - t0));
      agents.push(agent);
      agent.start();
    }
    await until(
      () => firstIdentity.length === size,
      300_000,
      () => `${firstIdentity.length}/${size} have an identity`,
    );
    const connectAllMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 2000)); // leases written, buffers settled
    const memoryPerDataplane = (rssOf(api0) + rssOf(api1) - rssBefore) / size;
    const redisPerLease = ((await usedMemory(redis)) - redisBefore) / size;
    await redis.close();

    // Kill the replica holding half the fleet; measure until each of its dataplanes holds a new certificate.
    const onKilled = agents.filter((a) => a.connectedTo === api0.dpAddress);
    const renewed = new Set<DataplaneAgent>();
    for (const a of onKilled) {
      a.on('identity', (id) => {
        if (a.connectedTo === api1.dpAddress && id.reason === 'reconnect') renewed.add(a);
      });
    }
    const cpuPids = {
      'surviving mesh-api': [api1.process.pid],
      'ca-signers': topology.of('ca-signer').map((r) => r.process.pid),
      nats: [topology.nats.pid],
      redis: [topology.redis.pid],
    };
    const cpuBefore = cpuSnapshot(cpuPids);
    const killedAt = performance.now();
    process.kill(api0.process.pid, 'SIGKILL');
    let withoutCertificate = 0;
    await until(
      () => {
        withoutCertificate = Math.max(withoutCertificate, agents.filter((a) => !a.identity).length);
        return renewed.size === onKilled.length;
      },
      120_000,
      () => `${renewed.size}/${onKilled.length} re-issued after the kill`,
    );
    const convergenceMs = performance.now() - killedAt;
    const cpuAfter = cpuSnapshot(cpuPids);
    const convergenceCpu = Object.fromEntries(
      Object.keys(cpuAfter).map((k) => [k, (cpuAfter[k]! - cpuBefore[k]!) / convergenceMs]),
    );
    const issueRate = size / (connectAllMs / 1000);
    return {
      size,
      firstIdentityP50: percentile(firstIdentity, 0.5),
      firstIdentityP99: percentile(firstIdentity, 0.99),
      connectAllMs,
      issueRate,
      moved: onKilled.length,
      convergenceMs,
      floorMs: (onKilled.length / issueRate) * 1000,
      memoryPerDataplane,
      redisPerLease,
      withoutCertificate,
      convergenceCpu,
    };
  } finally {
    for (const a of agents) a.stop();
    await topology.stop();
  }
}

function dataplaneDoc(i: number): Record<string, unknown> {
  return {
    type: 'Dataplane',
    networking: {
      address: '127.0.0.1',
      inbound: [{ port: 10_000 + (i % 50_000), tags: { 'kuma.io/service': `svc-${i % 100}` } }],
    },
  };
}

async function mintTokens(topology: Topology, api: string, size: number): Promise<string[]> {
  const tokens: string[] = new Array(size);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = next++; i < size; i = next++) {
        tokens[i] = (
          await adminCall(topology, 'POST', `${api}/tokens/dataplane`, { mesh: 'fleet', name: `dp-${i}` })
        ).trim();
      }
    }),
  );
  return tokens;
}

async function adminCall(topology: Topology, method: string, url: string, body: object): Promise<string> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${topology.adminToken}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return text;
}

function rssOf(replica: Replica): number {
  const status = readFileSync(`/proc/${replica.process.pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

async function usedMemory(redis: { info(section: string): Promise<unknown> }): Promise<number> {
  const info = String(await redis.info('memory'));
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function until(check: () => boolean, timeoutMs: number, progress: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${progress()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** CPU milliseconds used so far by each group of processes (utime + stime), and by this process. */
function cpuSnapshot(groups: Record<string, number[]>): Record<string, number> {
  const ticksToMs = 10; // USER_HZ is 100 on Linux
  const cpuOf = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * ticksToMs;
  };
  const usage = process.cpuUsage();
  return {
    ...Object.fromEntries(
      Object.entries(groups).map(([k, pids]) => [k, pids.reduce((n, p) => n + cpuOf(p), 0)]),
    ),
    'simulated fleet (this process)': (usage.user + usage.system) / 1000,
  };
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
    console.log(`  dataplanes without a certificate during failover: ${r.withoutCertificate}`);
    const cpu = Object.entries(r.convergenceCpu).map(([k, v]) => `${k} ${(v * 100).toFixed(0)} %`);
    console.log(`  CPU during convergence (of one core): ${cpu.join(', ')}`);
    console.log(
      `  control-plane memory        ${kb(r.memoryPerDataplane)} per dataplane (RSS of both mesh-api replicas); target ${kb(TARGETS.memoryPerDataplane)} (${verdict(r.memoryPerDataplane < TARGETS.memoryPerDataplane)})`,
    );
    console.log(
      `  Redis                       ${r.redisPerLease.toFixed(0)} bytes per lease (used_memory); target ${TARGETS.redisPerLease} (${verdict(r.redisPerLease < TARGETS.redisPerLease)})`,
    );
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
