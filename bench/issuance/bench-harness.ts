/** Timing helpers of the issuance benchmark: time-boxed rounds, medians, aligned output. */
import { median } from '../stats';

export interface Scenario {
  readonly name: string;
  /** One operation; returns nothing (results are dropped) or a promise. */
  readonly op: () => unknown;
}

/** Operations per second of `op` over one round of about `roundMs` (checked every `batch` operations). */
export function measureRound(op: () => unknown, roundMs: number, batch = 8): number {
  return measureRoundTimed(op, roundMs, batch).perSecond;
}

/**
 * As measureRound, with the rate per second of this process's CPU time (user + system) beside the rate
 * per wall-clock second: on a machine shared with other work, the wall clock also counts the time the
 * process waited for a core, while CPU time counts only what the operations cost.
 */
export function measureRoundTimed(
  op: () => unknown,
  roundMs: number,
  batch = 8,
): { perSecond: number; perCpuSecond: number } {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(roundMs) * 1_000_000n;
  let count = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) {
      op();
    }
    count += batch;
    now = process.hrtime.bigint();
  }
  const used = process.cpuUsage(cpu);
  return {
    perSecond: count / (Number(now - start) / 1e9),
    perCpuSecond: count / ((used.user + used.system) / 1e6),
  };
}

/** As measureRound, for an async operation run one at a time (one in flight: a single core's view). */
export async function measureRoundAsync(op: () => Promise<unknown>, roundMs: number): Promise<number> {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(roundMs) * 1_000_000n;
  let count = 0;
  let now = start;
  while (now < deadline) {
    await op();
    count++;
    now = process.hrtime.bigint();
  }
  return count / (Number(now - start) / 1e9);
}

/**
 * Runs the scenarios interleaved, round after round (A B C, A B C, ...), so a noisy neighbour on a
 * shared machine weighs on every scenario alike and ratios stay meaningful. Returns each median rate,
 * per wall-clock second and per CPU-second (see measureRoundTimed).
 */
export function runInterleavedTimed(
  scenarios: readonly Scenario[],
  rounds: number,
  roundMs: number,
): { rates: Map<string, number>; cpuRates: Map<string, number> } {
  const wall = new Map<string, number[]>(scenarios.map((s) => [s.name, []]));
  const cpu = new Map<string, number[]>(scenarios.map((s) => [s.name, []]));
  for (const s of scenarios) {
    measureRound(s.op, Math.min(100, roundMs)); // warm-up: JIT, key caches
  }
  for (let round = 0; round < rounds; round++) {
    for (const s of scenarios) {
      const measured = measureRoundTimed(s.op, roundMs);
      wall.get(s.name)?.push(measured.perSecond);
      cpu.get(s.name)?.push(measured.perCpuSecond);
    }
  }
  const medians = (samples: Map<string, number[]>) =>
    new Map([...samples].map(([name, values]) => [name, median(values)]));
  return { rates: medians(wall), cpuRates: medians(cpu) };
}

export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US').padStart(8)} /s`;
}

export function formatRatio(ratio: number): string {
  return `${(ratio * 100).toFixed(1).padStart(5)} %`;
}
