/**
 * What the fleet benchmark and the soak run share: tokens, admin calls, the forked workers simulating the
 * fleet (fleet-worker.ts) and their certificate-validity reports, a process's RSS, waiting for a condition.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { metricSum } from '@meshtls/testing';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Replica, Topology } from '@meshtls/testing';
import { mergeValidityReports, type ValidityReport } from './certificate-validity';
import type { FleetWorkerMessage, FleetWorkerStart, FleetWorkerValidityRequest } from './fleet-worker';
import { readHeapSnapshot } from './heap-diff';

/** Dataplane tokens for `dp-0` … `dp-{size-1}` of `mesh`, minted 32 at a time. */
export async function mintTokens(
  topology: Topology,
  api: string,
  size: number,
  mesh = 'fleet',
): Promise<string[]> {
  const tokens: string[] = new Array(size);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = next++; i < size; i = next++) {
        tokens[i] = (
          await adminCall(topology, 'POST', `${api}/tokens/dataplane`, { mesh, name: `dp-${i}` })
        ).trim();
      }
    }),
  );
  return tokens;
}

/** An admin call to mesh-api; throws with the answer unless it is 2xx. */
export async function adminCall(
  topology: Topology,
  method: string,
  url: string,
  body: object,
): Promise<string> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${topology.adminToken}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return text;
}

/** Resident memory of a replica's process, in bytes. */
export function rssOf(replica: Replica): number {
  const status = readFileSync(`/proc/${replica.process.pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** Resolves once `check` holds (polled every 20 ms); throws with `progress()` after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number, progress: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${progress()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** For a fleet of `size` sharing connections: one may carry all of it, past the default cap of 10,000 streams. */
export function sharedConnectionsEnv(size: number): Record<string, string> {
  return { MESH_DP_MAX_STREAMS_PER_CONNECTION: String(Math.max(size, 10_000)) };
}

/** Forks `count` fleet workers (fleet-worker.js next to this file). */
export function startWorkers(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => fork(join(__dirname, 'fleet-worker.js'), { stdio: 'inherit' }));
}

/** Starts the fleet: the dataplanes (index, token), dealt round-robin to the workers, connect. */
export function startFleet(
  workers: readonly ChildProcess[],
  fleet: Omit<FleetWorkerStart, 'type' | 'dataplanes'> & { readonly tokens: readonly string[] },
): void {
  const { tokens, ...common } = fleet;
  workers.forEach((worker, w) =>
    worker.send({
      type: 'start',
      ...common,
      dataplanes: tokens.flatMap((token, index) => (index % workers.length === w ? [{ index, token }] : [])),
    } satisfies FleetWorkerStart),
  );
}

/** Asks each worker to stop its dataplanes and exit; SIGKILL after 5 s. */
export async function stopWorkers(workers: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.exitCode !== null || !w.connected) return resolve();
          const timer = setTimeout(() => (w.kill('SIGKILL'), resolve()), 5000);
          w.once('exit', () => (clearTimeout(timer), resolve()));
          w.send({ type: 'stop' });
        }),
    ),
  );
}

/**
 * Every worker's validity report, each worker checking its dataplanes once more now: whether each
 * dataplane held a valid certificate (by the certificate's own notBefore/notAfter) at every check since
 * its first one.
 */
export async function validityOf(
  workers: readonly ChildProcess[],
  timeoutMs = 30_000,
): Promise<ValidityReport> {
  const reports = await Promise.all(
    workers.map(
      (w) =>
        new Promise<ValidityReport>((resolve, reject) => {
          const timer = setTimeout(() => {
            w.off('message', onMessage);
            reject(new Error(`worker ${w.pid} sent no validity report within ${timeoutMs} ms`));
          }, timeoutMs);
          const onMessage = (message: FleetWorkerMessage) => {
            if (message.type !== 'validity') return;
            clearTimeout(timer);
            w.off('message', onMessage);
            resolve(message.report);
          };
          w.on('message', onMessage);
          w.send({ type: 'validity' } satisfies FleetWorkerValidityRequest);
        }),
    ),
  );
  return mergeValidityReports(reports);
}

/** One line on a validity report: checks, moments without a valid certificate, dataplanes concerned. */
export function describeValidity(r: ValidityReport, name = (i: number) => `dp-${i}`): string {
  const examples = r.invalid
    .slice(0, 3)
    .map(
      (d) =>
        `${name(d.index)} ${d.moments}× from ${new Date(d.firstAt).toISOString()} to ${new Date(d.lastAt).toISOString()}`,
    );
  return (
    `${r.invalidMoments} of ${r.checks} checks found a dataplane without a valid certificate ` +
    `(${r.invalid.length} dataplanes${examples.length > 0 ? `: ${examples.join('; ')}` : ''}); ` +
    `without one at the end: ${r.invalidAtEnd.length}`
  );
}

/**
 * A heap snapshot of each replica (started with `--heapsnapshot-signal=SIGWINCH --diagnostic-dir=dir`,
 * see {@link heapSnapshotNodeArgs}), named `{label}-{pid}.heapsnapshot` in `dir`. Writing one collects
 * garbage first: returns the replicas' RSS read right after, and their live V8 heap read from the
 * snapshots.
 */
export async function snapshotHeaps(
  replicas: readonly Replica[],
  dir: string,
  label: string,
): Promise<{ rss: number; heap: number; files: string[] }> {
  let rss = 0;
  let heap = 0;
  const files: string[] = [];
  for (const replica of replicas) {
    const pid = replica.process.pid;
    const seen = new Set(readdirSync(dir));
    process.kill(pid, 'SIGWINCH');
    const written = await new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + 300_000;
      let last = -1;
      const poll = setInterval(() => {
        const file = readdirSync(dir).find(
          (f) => !seen.has(f) && f.includes(`.${pid}.`) && f.endsWith('.heapsnapshot'),
        );
        const size = file ? statSync(join(dir, file)).size : -1;
        if (file && size > 0 && size === last) {
          clearInterval(poll);
          resolve(file);
        } else if (Date.now() > deadline) {
          clearInterval(poll);
          reject(new Error(`no heap snapshot from ${pid} in ${dir}`));
        }
        last = size;
      }, 1000);
    });
    rss += rssOf(replica);
    const named = join(dir, `${label}-${pid}.heapsnapshot`);
    renameSync(join(dir, written), named);
    heap += readHeapSnapshot(named).total;
    files.push(named);
  }
  return { rss, heap, files };
}

/** The node options a replica needs for {@link snapshotHeaps}. */
export function heapSnapshotNodeArgs(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return `--heapsnapshot-signal=SIGWINCH --diagnostic-dir=${dir}`;
}

/** A replica's `/metrics` text, read with the admin token; undefined when it does not answer. */
async function metricsTextOf(topology: Topology, replica: Replica): Promise<string | undefined> {
  const response = await fetch(`${replica.url}/metrics`, {
    headers: { authorization: `Bearer ${topology.adminToken}` },
  }).catch(() => undefined);
  return response?.ok ? response.text() : undefined;
}

/** The replicas' V8 heap (committed and used) and external memory, in bytes, summed, from their `/metrics`. */
export async function v8Of(
  topology: Topology,
  replicas: readonly Replica[],
): Promise<{ committed: number; used: number; external: number }> {
  const total = { committed: 0, used: 0, external: 0 };
  for (const replica of replicas) {
    const text = (await metricsTextOf(topology, replica)) ?? '';
    total.committed += metricSum(text, 'nodejs_heap_size_total_bytes');
    total.used += metricSum(text, 'nodejs_heap_size_used_bytes');
    total.external += metricSum(text, 'nodejs_external_memory_bytes');
  }
  return total;
}

/**
 * The sum over the replicas' `/metrics` of every series of `name` whose labels include `labels` (a
 * replica that does not answer counts 0).
 */
export async function replicasMetricSum(
  topology: Topology,
  replicas: readonly Replica[],
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const replica of replicas)
    total += metricSum((await metricsTextOf(topology, replica)) ?? '', name, wanted);
  return total;
}

/** CPU milliseconds used so far (utime + stime) by each group of processes. */
export function cpuMsOf(groups: Record<string, readonly number[]>): Record<string, number> {
  const ticksToMs = 10; // USER_HZ is 100 on Linux
  const cpuOf = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * ticksToMs;
  };
  return Object.fromEntries(
    Object.entries(groups).map(([k, pids]) => [k, pids.reduce((n, p) => n + cpuOf(p), 0)]),
  );
}

/**
 * Each replica's heap trims so far (`mesh_heap_trims_total`); with `after`, first waits until each has
 * trimmed more often than that, then 3 s for V8 to hand the pages back. Also returns the longest last
 * trim pause of the replicas.
 */
export async function heapTrimsOf(
  topology: Topology,
  replicas: readonly Replica[],
  after?: readonly number[],
): Promise<{ counts: number[]; pauseMs: number }> {
  const read = () => Promise.all(replicas.map(async (r) => (await metricsTextOf(topology, r)) ?? ''));
  const trims = (texts: string[]) => texts.map((t) => metricSum(t, 'mesh_heap_trims_total'));
  let texts = await read();
  if (after) {
    const deadline = Date.now() + 120_000;
    while (trims(texts).some((c, i) => c <= after[i]!)) {
      if (Date.now() > deadline)
        throw new Error(`no heap trim within 120 s (trims ${trims(texts).join(', ')})`);
      await new Promise((r) => setTimeout(r, 500));
      texts = await read();
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
  const pauses = texts.map((t) => metricSum(t, 'mesh_heap_trim_last_pause_seconds'));
  return { counts: trims(texts), pauseMs: Math.max(...pauses) * 1000 };
}

/** Redis's `used_memory`, in bytes. */
export async function usedMemory(redis: { info(section: string): Promise<unknown> }): Promise<number> {
  const info = String(await redis.info('memory'));
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Where jemalloc is installed (Debian's libjemalloc2, as the image has it), if it is. */
export function jemallocLibrary(): string | undefined {
  const dirs = [
    '/usr/local/lib',
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
  ];
  return dirs.map((d) => join(d, 'libjemalloc.so.2')).find((path) => existsSync(path));
}
