/** What the fleet benchmark measures for one fleet size, its targets, and how it is printed. */
import type { ValidityReport } from './certificate-validity';
import { describeValidity } from './fleet-harness';

const TARGETS = {
  convergenceMs: 10_000,
  memoryPerDataplane: 20 * 1024,
  settledMemoryPerDataplane: 15 * 1024,
  redisPerLease: 1024,
};

/**
 * How long after the burst memory is read again ("settled"): four trim intervals and 3 s, so the trimmer
 * has seen the burst end (an interval of growth, then one without) and trimmed what it called for.
 */
export function settleDelayMs(trimIntervalMs: number): number {
  return 4 * (trimIntervalMs || 5000) + 3000;
}

export interface FleetResult {
  readonly size: number;
  readonly firstIdentityP50: number;
  readonly firstIdentityP99: number;
  readonly connectAllMs: number;
  readonly issueRate: number;
  readonly moved: number;
  readonly convergenceMs: number;
  readonly floorMs: number;
  readonly memoryPerDataplane: number;
  /**
   * RSS growth two heap-trim intervals after the burst (see MESH_HEAP_TRIM_INTERVAL), the trims each
   * replica made since start-up's, and the longest last trim pause.
   */
  readonly settled: { rssPerDataplane: number; pauseMs: number; trims: number[] };
  /** Growth of the replicas' V8 heap (committed, used) and external memory, read with the settled RSS. */
  readonly v8PerDataplane: { committed: number; used: number; external: number };
  /** With FLEET_HEAP_DIR: RSS growth and V8 heap growth, each read right after the full GC of a snapshot. */
  readonly afterGc?: { rssPerDataplane: number; heapPerDataplane: number; snapshots: string[] };
  readonly redisPerLease: number;
  /** Share of one core each process used during convergence. */
  readonly convergenceCpu: Record<string, number>;
  /** From each dataplane's first certificate until convergence after the kill. */
  readonly validity: ValidityReport;
}

export function printResults(results: readonly FleetResult[], trimIntervalMs: number): void {
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
      `  control-plane memory        ${kb(r.memoryPerDataplane)} per dataplane (RSS of both mesh-api replicas, 2 s after the burst); target ${kb(TARGETS.memoryPerDataplane)} (${verdict(r.memoryPerDataplane < TARGETS.memoryPerDataplane)})`,
    );
    const st = r.settled;
    console.log(
      `  settled                     ${kb(st.rssPerDataplane)} per dataplane (RSS ${settleDelayMs(trimIntervalMs) / 1000} s later; heap trims since start-up's ${st.trims.join(' + ')}, last pause up to ${st.pauseMs.toFixed(0)} ms); target ${kb(TARGETS.settledMemoryPerDataplane)} (${verdict(st.rssPerDataplane <= TARGETS.settledMemoryPerDataplane)})`,
    );
    const v8 = r.v8PerDataplane;
    console.log(
      `    of which V8 heap         ${kb(v8.committed)} committed (${kb(v8.used)} in use, garbage included), external ${kb(v8.external)}; native and allocator ${kb(st.rssPerDataplane - v8.committed - v8.external)}`,
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
