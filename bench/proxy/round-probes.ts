import { metricSum } from '@meshtls/testing';
/**
 * What the proxy benchmark reads around its keep-alive rounds besides wrk's figures: the CPU time of the
 * proxy processes, and the sidecars' event-loop delay from their metrics endpoints.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { DataplaneProcess } from '@meshtls/testing';
import type { WrkResult } from './wrk';
import { median } from '../stats';

/** Readings taken around a measured round: `before` returns what to call with the round's result. */
export interface RoundProbes<V extends string> {
  before(variant: V): Promise<((result: WrkResult) => Promise<string>) | undefined>;
  /** Prints the medians of what was read. */
  report(): void;
}

interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Around each round: the CPU time (user + system) the two proxy processes of the path used, per
 * request; with `mesh`, for its sidecars also each one's event-loop delay over the round (the first
 * scrape ends the window before the round, the second reads the round's). `rounds` names them.
 */
export function roundProbes<V extends string>(
  rounds: string,
  pids: Partial<Record<V, readonly number[]>>,
  label: (variant: V) => string,
  mesh?: { readonly variant: V; readonly sidecars: Record<string, DataplaneProcess> },
): RoundProbes<V> {
  const sidecars = mesh?.sidecars ?? {};
  const cpuPerRequest = new Map<V, number[]>();
  const delays = new Map<string, LoopDelay[]>(Object.keys(sidecars).map((name) => [name, []]));
  return {
    async before(variant) {
      const of = pids[variant];
      if (!of) return undefined;
      const isMesh = variant === mesh?.variant;
      if (isMesh) await Promise.all(Object.values(sidecars).map((dp) => dp.metrics()));
      const cpuBefore = cpuSeconds(of);
      return async (result) => {
        const perRequestUs = ((cpuSeconds(of) - cpuBefore) / Math.max(result.requests, 1)) * 1e6;
        cpuPerRequest.set(variant, [...(cpuPerRequest.get(variant) ?? []), perRequestUs]);
        let extra = `  CPU ${perRequestUs.toFixed(0)} µs/request`;
        if (!isMesh) return extra;
        for (const [name, dp] of Object.entries(sidecars)) {
          const text = await dp.metrics();
          const q = (quantile: string) =>
            metricSum(text, 'dataplane_event_loop_delay_seconds', `quantile="${quantile}"`) * 1e3;
          const delay = { p50: q('0.5'), p99: q('0.99'), max: q('1') };
          delays.get(name)!.push(delay);
          extra += `  ${name} loop delay ${delayText(delay)}`;
        }
        return extra;
      };
    },
    report() {
      console.log(`\nmedians, ${rounds}, the two proxy processes of each path:`);
      for (const [variant, values] of cpuPerRequest)
        console.log(`  ${label(variant).padEnd(40)}CPU ${median(values).toFixed(0)} µs per request`);
      for (const [name, values] of delays) {
        const delay = {
          p50: median(values.map((d) => d.p50)),
          p99: median(values.map((d) => d.p99)),
          max: median(values.map((d) => d.max)),
        };
        const worst = Math.max(...values.map((d) => d.max));
        console.log(
          `  ${name.padEnd(10)} event-loop delay ${delayText(delay)} (largest in any round ${worst.toFixed(2)} ms)`,
        );
      }
    },
  };
}

function delayText(d: LoopDelay): string {
  return `p50 ${d.p50.toFixed(2)} / p99 ${d.p99.toFixed(2)} / max ${d.max.toFixed(2)} ms`;
}

/** User + system CPU time of processes so far, from /proc (Linux). */
function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
