import { randomUUID } from 'node:crypto';
import { issueCertificate } from '@meshtls/contracts';
import type { MessageBus } from '@meshtls/bus';
import type { SeededMesh } from './fleet-fixture';

export interface LoadResult {
  readonly issued: number;
  readonly shed: number;
  readonly failed: number;
  readonly seconds: number;
  /** Latencies of issued requests, milliseconds, sorted. */
  readonly latenciesMs: readonly number[];
}

export function ratePerSecond(r: LoadResult): number {
  return r.issued / r.seconds;
}

/** Issues one certificate over the bus, cycling through dataplanes and CSRs; returns its outcome. */
function issuer(bus: MessageBus, mesh: SeededMesh, csrs: readonly string[]) {
  let n = 0;
  return async (): Promise<Outcome> => {
    const i = n++;
    try {
      const reply = await bus.request(issueCertificate, {
        mesh: mesh.mesh,
        dataplane: mesh.dataplanes[i % mesh.dataplanes.length],
        meshVersion: mesh.meshVersion,
        dataplaneVersion: mesh.dataplaneVersions[i % mesh.dataplanes.length],
        backend: mesh.backend,
        csrPem: csrs[i % csrs.length],
        reason: 'new',
        requestId: randomUUID(),
      });
      return reply.status === 'stale' ? 'failed' : reply.status;
    } catch {
      return 'failed';
    }
  };
}

/** Closed loop: `inFlight` requests outstanding at all times for `seconds` — the throughput ceiling. */
export function saturate(
  bus: MessageBus,
  mesh: SeededMesh,
  csrs: readonly string[],
  inFlight: number,
  seconds: number,
): Promise<LoadResult> {
  return closedLoop(issuer(bus, mesh, csrs), inFlight, seconds);
}

export type Outcome = 'issued' | 'shed' | 'failed';

/** Closed loop over any issuing operation: `inFlight` calls outstanding at all times for `seconds`. */
export async function closedLoop(
  issue: () => Promise<Outcome>,
  inFlight: number,
  seconds: number,
): Promise<LoadResult> {
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  const counts = { issued: 0, shed: 0, failed: 0 };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const outcome = await issue();
        counts[outcome]++;
        if (outcome === 'issued') latencies.push(performance.now() - t0);
      }
    }),
  );
  return {
    ...counts,
    seconds: (performance.now() - started) / 1000,
    latenciesMs: latencies.sort((a, b) => a - b),
  };
}

/** Open loop: requests started at a steady `rate` regardless of answers — latency at a given load. */
export async function paced(
  bus: MessageBus,
  mesh: SeededMesh,
  csrs: readonly string[],
  rate: number,
  seconds: number,
): Promise<LoadResult> {
  const issue = issuer(bus, mesh, csrs);
  const total = Math.floor(rate * seconds);
  const latencies: number[] = [];
  const counts = { issued: 0, shed: 0, failed: 0 };
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // Latency counts from when the request was due, so a late start (coordinated omission) is not hidden.
    pending.push(
      issue().then((outcome) => {
        counts[outcome]++;
        if (outcome === 'issued') latencies.push(performance.now() - due);
      }),
    );
  }
  await Promise.all(pending);
  return {
    ...counts,
    seconds: (performance.now() - started) / 1000,
    latenciesMs: latencies.sort((a, b) => a - b),
  };
}
