/**
 * Sampling: per process RSS and open descriptors from /proc and, for the control plane, heap, handles and
 * metric series from its /metrics; the JetStream streams, Redis and the fleet's certificates as a whole;
 * at the end the control plane's counters and its own view of the dataplanes (dataplanes+insights).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { NatsConnection } from 'nats';
import type { Topology } from '@meshtls/testing';
import { usedMemory } from '../fleet/fleet-harness';
import type { InsightsView, RunState, Sample, Watched, WholeSample } from './types';

const FETCH_TIMEOUT_MS = 5000;

/** Samples every watched process, the streams, Redis and the certificates held; appends to `state`. */
export async function sampleAll(
  state: RunState,
  t: number,
  nc: NatsConnection,
  redis: { info(section: string): Promise<unknown>; dbSize(): Promise<number> },
): Promise<void> {
  const samples = await Promise.all(state.watched.map((w) => sampleOne(state, w, t)));
  state.watched.forEach((w, i) => state.samples.get(w.name)!.push(samples[i]!));
  const streams: WholeSample['streams'] = {};
  try {
    const jsm = await nc.jetstreamManager();
    for await (const info of jsm.streams.list()) {
      streams[info.config.name] = { messages: info.state.messages, bytes: info.state.bytes };
    }
  } catch {
    state.sampleErrors++;
  }
  let redisUsedMemory = NaN;
  let redisKeys = NaN;
  try {
    redisUsedMemory = await usedMemory(redis);
    redisKeys = await redis.dbSize();
  } catch {
    state.sampleErrors++;
  }
  const now = Date.now();
  state.whole.push({
    t,
    rotations: state.rotationsSoFar,
    // By the newest certificate each dataplane was sent (the workers' own checks are in the report).
    validNow: state.dataplanes.filter((d) => {
      const c = d.certificates.at(-1);
      return c !== undefined && c.notBefore <= now && now < c.notAfter;
    }).length,
    streams,
    redisUsedMemory,
    redisKeys,
  });
}

async function sampleOne(state: RunState, w: Watched, t: number): Promise<Sample> {
  let rss: number;
  let fds: number;
  try {
    const status = readFileSync(`/proc/${w.pid}/status`, 'utf8');
    if (/^State:\s+Z/m.test(status)) throw new Error('zombie');
    rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) * 1024;
    fds = readdirSync(`/proc/${w.pid}/fd`).length;
  } catch {
    return { t, alive: false, rss: NaN, fds: NaN };
  }
  if (!w.metricsUrl) return { t, alive: true, rss, fds };
  try {
    const response = await fetch(w.metricsUrl, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    const series = parseMetrics(await response.text());
    const value = (name: string) => series.find((s) => s.name === name)?.value ?? NaN;
    return {
      t,
      alive: true,
      rss,
      fds,
      heap: value('nodejs_heap_size_used_bytes'),
      handles: value('nodejs_active_handles_total'),
      series: series.length,
    };
  } catch {
    state.sampleErrors++;
    return { t, alive: true, rss, fds };
  }
}

interface Series {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The Prometheus text format, one entry per series. */
function parseMetrics(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Counters worth a line at the end, summed over every replica, by the label that tells them apart. */
export async function countersOf(topology: Topology): Promise<Record<string, Record<string, number>>> {
  const wanted: Record<string, string> = {
    mesh_rotations_total: 'result',
    mesh_dataplane_certificates_issued_total: 'reason',
    mesh_dataplane_certificate_failures_total: 'reason',
    mesh_dataplane_certificate_request_retries_total: 'cause',
    mesh_ca_admission_rejections_total: 'reason',
  };
  const totals: Record<string, Record<string, number>> = {};
  for (const replica of topology.replicas) {
    try {
      const response = await fetch(`${replica.url}/metrics`, {
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      for (const s of parseMetrics(await response.text())) {
        const label = wanted[s.name];
        if (label === undefined) continue;
        const byLabel = (totals[s.name] ??= {});
        const key = s.labels[label] ?? '';
        byLabel[key] = (byLabel[key] ?? 0) + s.value;
      }
    } catch {
      // a replica that does not answer shows as missing from the sums
    }
  }
  return totals;
}

/** What the control plane recorded (stats-collector's insights, read through mesh-api). */
export async function insightsView(api: string, mesh: string): Promise<InsightsView> {
  let valid = 0;
  let regenerations = 0;
  let total = 0;
  const now = Date.now();
  for (let offset = 0; ; ) {
    const response = await fetch(`${api}/meshes/${mesh}/dataplanes+insights?size=1000&offset=${offset}`, {
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    const page = (await response.json()) as {
      total: number;
      items: {
        dataplaneInsight?: {
          mTLS?: { certificateExpirationTime?: string; certificateRegenerations?: number };
        };
      }[];
      next: string | null;
    };
    total = page.total;
    for (const item of page.items) {
      const mtls = item.dataplaneInsight?.mTLS;
      if (mtls?.certificateExpirationTime && Date.parse(mtls.certificateExpirationTime) > now) valid++;
      regenerations += mtls?.certificateRegenerations ?? 0;
    }
    offset += page.items.length;
    if (page.next === null || page.items.length === 0) break;
  }
  return { total, valid, regenerations };
}
