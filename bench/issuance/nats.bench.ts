/**
 * Issuance end to end over real NATS: a client sends `mesh.ca.issue.v1` requests (CSR with an EC P-256
 * key) to one, then two ca-signer processes. Prints the saturated rate, the latency at half that rate,
 * and, measured in the same run, the reference: `crypto.sign` with the same CA key on one core. Also
 * the CPU time each process (ca-signers, NATS, Redis, this client) spent per certificate at saturation,
 * from /proc: where an issuance's cost goes across processes.
 *
 *   npm run bench:issuance:nats      (about a minute; 127.0.0.1 only; it stops everything it starts)
 */
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NatsBus } from '@meshtls/bus';
import { Topology } from '@meshtls/testing';
import { median, percentile } from '../stats';
import { formatRate, measureRound } from './bench-harness';
import { ecCsrPool, seedMeshes, type SeededMesh } from './fleet-fixture';
import { paced, ratePerSecond, saturate, type LoadResult } from './load-driver';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const IN_FLIGHT = 128;
/** Admission wide open: this measures capacity, not the configured pace. */
const OPEN_ADMISSION = { MESH_CA_RATE: '1000000', MESH_CA_BURST: '1000000', MESH_CA_MAX_CONCURRENT: '256' };

async function main(): Promise<void> {
  console.log(
    `issuance over NATS, Node ${process.version}; ${IN_FLIGHT} requests in flight; ${SECONDS} s per figure`,
  );
  const csrs = ecCsrPool(2000);
  for (const replicas of [1, 2]) {
    const topology = await Topology.start({ 'ca-signer': replicas }, OPEN_ADMISSION);
    // The benchmark asks for certificates as mesh-api does, with its NATS user.
    const bus = await NatsBus.connect({
      servers: [topology.nats.url],
      name: 'bench-client',
      ...topology.natsClient('mesh-api'),
    });
    try {
      const meshes = await seedMeshes(
        topology.nats.url,
        topology.secretKey,
        100,
        topology.natsClient('mesh-api'),
      );
      for (const mesh of meshes) {
        await saturate(bus, mesh, csrs, IN_FLIGHT, 1); // warm-up: JIT, CA loading, caches
        const processes = [
          ...topology.replicas.map((r) => ({ name: r.instanceId, pid: r.process.pid })),
          { name: 'nats-server', pid: topology.nats.pid },
          { name: 'redis', pid: topology.redis.pid },
          { name: 'bench client', pid: process.pid },
        ];
        const before = processes.map((p) => cpuSeconds(p.pid));
        const full = await saturate(bus, mesh, csrs, IN_FLIGHT, SECONDS);
        const cpu = processes.map((p, i) => ({ name: p.name, seconds: cpuSeconds(p.pid) - before[i] }));
        const half = await paced(bus, mesh, csrs, ratePerSecond(full) / 2, SECONDS);
        report(mesh, replicas, full, half, signCeiling(mesh.caKeyPem));
        reportCpu(cpu, full.issued);
      }
    } finally {
      await bus.close();
      await topology.stop();
    }
  }
}

/** `crypto.sign` per second with the CA key over a certificate-sized buffer, on this process's core. */
function signCeiling(keyPem: string): number {
  const key = createPrivateKey(keyPem);
  const tbs = Buffer.alloc(420, 7);
  return median([1, 2, 3, 4, 5].map(() => measureRound(() => sign('sha256', tbs, key), 300)));
}

function report(
  mesh: SeededMesh,
  replicas: number,
  full: LoadResult,
  half: LoadResult,
  ceiling: number,
): void {
  const rate = ratePerSecond(full);
  const ms = (r: LoadResult, p: number) => `${percentile(r.latenciesMs, p / 100).toFixed(1)} ms`;
  console.log(
    `\n${mesh.label}, ${replicas} ca-signer replica${replicas > 1 ? 's' : ''}\n` +
      `  saturated          ${formatRate(rate)}  shed ${full.shed}, failed ${full.failed}; p50 ${ms(full, 50)}, p99 ${ms(full, 99)}\n` +
      `  at half that rate  ${formatRate(ratePerSecond(half))}  shed ${half.shed}, failed ${half.failed}; p50 ${ms(half, 50)}, p99 ${ms(half, 99)}\n` +
      `  reference          ${formatRate(ceiling)}  crypto.sign with the same CA key, one core; ratio ${(rate / ceiling).toFixed(2)}`,
  );
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** USER_HZ: the unit of /proc/<pid>/stat times on Linux. */
const CLOCK_TICKS = 100;

/** CPU per certificate issued at saturation, by process: where the cost of an issuance goes. */
function reportCpu(cpu: readonly { name: string; seconds: number }[], issued: number): void {
  const us = (seconds: number) => `${Math.round((seconds / issued) * 1e6)} µs`;
  const total = cpu.reduce((sum, p) => sum + p.seconds, 0);
  console.log(
    `  CPU per issuance   ${us(total)} in all: ${cpu.map((p) => `${p.name} ${us(p.seconds)}`).join(', ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
