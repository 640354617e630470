import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataplaneAgent, grpcCredentials, type DataplaneIdentity } from '@meshtls/dataplane-agent';
import { dataplaneToken, type Topology } from '@meshtls/testing';
import { http } from './cli';
import { metricSum } from './traffic';

/**
 * Failure drills run small in `npm test` and at full size from `npm run test:chaos` (CHAOS_SCALE=full).
 * `sized(small, full)` picks the figure of the current scale.
 */
export const CHAOS_SCALE = process.env.CHAOS_SCALE === 'full' ? 'full' : 'small';
export const sized = <T>(small: T, full: T): T => (CHAOS_SCALE === 'full' ? full : small);

/**
 * Prints what a drill measured, one figure per line, and appends it as one JSON line to CHAOS_REPORT when
 * set (docs/reliability.md is written from those lines).
 */
export function reportDrill(drill: string, figures: Record<string, string | number | boolean>): void {
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  const lines = Object.entries(figures).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  process.stdout.write(`\ndrill ${drill} (${CHAOS_SCALE}):\n${lines.join('\n')}\n`);
  const file = process.env.CHAOS_REPORT;
  if (file)
    appendFileSync(file, JSON.stringify({ drill, scale: CHAOS_SCALE, at: new Date(), figures }) + '\n');
}

/** An identity a simulated dataplane received: when, from which replica, why. */
export interface ReceivedIdentity {
  readonly at: number;
  readonly from: string;
  readonly reason: string;
  readonly serial: string;
  readonly notAfter: number;
  readonly rotateAt: number;
  readonly trustBundlePem: string;
}

/**
 * Dataplanes simulated in the test's process: the real agent (the sidecar's identity client) speaking the
 * real gRPC protocol to the topology's mesh-api replicas. Every identity each one gets is recorded, and a
 * watchdog checks every 50 ms that each dataplane that had a certificate still holds a valid one.
 */
export class SimulatedFleet {
  readonly agents: DataplaneAgent[] = [];
  readonly received: ReceivedIdentity[][] = [];
  readonly disconnects: { index: number; at: number; details: string }[] = [];
  /** Moments a dataplane held no valid certificate (expired, or none after having had one). */
  readonly invalid: { index: number; at: number }[] = [];
  private readonly watchdog: ReturnType<typeof setInterval>;

  private constructor() {
    this.watchdog = setInterval(() => this.check(), 50);
  }

  /**
   * Mints tokens and starts `size` dataplanes `dp-0…` of `service` (or `svc-{i % services}`) in `mesh`;
   * even ones prefer the first mesh-api replica, odd ones the second. `renew: false` makes dataplanes
   * that never ask for a certificate themselves; `renewalGraceMs` replaces their grace; with `certDir`
   * each writes its files into `{certDir}/{name}` as the sidecar's `--cert-dir` does.
   */
  static async start(
    topology: Topology,
    mesh: string,
    size: number,
    options: {
      services?: number;
      names?: (i: number) => string;
      renew?: boolean;
      renewalGraceMs?: number;
      certDir?: string;
    } = {},
  ): Promise<SimulatedFleet> {
    const fleet = new SimulatedFleet();
    const apis = topology.of('mesh-api').filter((r) => r.dpAddress !== undefined);
    const addresses = apis.map((a) => a.dpAddress!);
    const caCertPem = readFileSync(topology.dpCaFile, 'utf8');
    const credentials = grpcCredentials.createSsl(Buffer.from(caCertPem));
    const names = options.names ?? ((i: number) => `dp-${i}`);
    const tokens: string[] = [];
    for (let i = 0; i < size; i += 50) {
      const batch = Array.from({ length: Math.min(50, size - i) }, (_, j) =>
        dataplaneToken(apis[0]!.url, mesh, names(i + j), topology.adminToken),
      );
      tokens.push(...(await Promise.all(batch)));
    }
    for (let i = 0; i < size; i++) {
      const agent = new DataplaneAgent({
        cpAddresses: i % 2 === 0 ? addresses : [...addresses].reverse(),
        caCertPem,
        mesh,
        name: names(i),
        token: tokens[i]!,
        dataplane: {
          type: 'Dataplane',
          networking: {
            address: '127.0.0.1',
            inbound: [
              { port: 20_000 + i, tags: { 'kuma.io/service': `svc-${i % (options.services ?? 10)}` } },
            ],
          },
        },
        serverName: 'localhost',
        credentials,
        backoff: (attempt) => Math.min(100 * 2 ** attempt, 2000) * (0.5 + Math.random() / 2),
        ...(options.renew === undefined ? {} : { renew: options.renew }),
        ...(options.renewalGraceMs === undefined ? {} : { renewalGraceMs: options.renewalGraceMs }),
        ...(options.certDir ? { certDir: join(options.certDir, names(i)) } : {}),
      });
      fleet.received.push([]);
      agent.on('identity', (id: DataplaneIdentity) =>
        fleet.received[i]!.push({
          at: Date.now(),
          from: agent.connectedTo ?? '',
          reason: id.reason,
          serial: id.serial,
          notAfter: Date.parse(id.notAfter),
          rotateAt: Date.parse(id.rotateAt),
          trustBundlePem: id.trustBundlePem,
        }),
      );
      agent.on('disconnected', (e) =>
        fleet.disconnects.push({ index: i, at: Date.now(), details: e.details }),
      );
      fleet.agents.push(agent);
      agent.start();
    }
    return fleet;
  }

  get size(): number {
    return this.agents.length;
  }

  /** How many dataplanes hold a certificate valid now. */
  get holding(): number {
    const now = Date.now();
    return this.agents.filter((a) => a.identity !== undefined && Date.parse(a.identity.notAfter) > now)
      .length;
  }

  /** Identities received (by every dataplane) since `since`, optionally only for `reason`. */
  receivedSince(since: number, reason?: string): ReceivedIdentity[] {
    return this.received.flat().filter((r) => r.at >= since && (reason === undefined || r.reason === reason));
  }

  /** Waits until `done` holds (checked every 50 ms) and resolves with how long that took. */
  async until(done: () => boolean, timeoutMs: number, what: string): Promise<number> {
    const started = Date.now();
    while (!done()) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `${what}: not within ${timeoutMs} ms (${this.holding}/${this.size} hold a certificate)`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - started;
  }

  stop(): void {
    clearInterval(this.watchdog);
    for (const agent of this.agents) agent.stop();
  }

  private check(): void {
    const now = Date.now();
    this.agents.forEach((agent, index) => {
      const had = this.received[index]!.length > 0;
      if (had && (agent.identity === undefined || Date.parse(agent.identity.notAfter) <= now)) {
        this.invalid.push({ index, at: now });
      }
    });
  }
}

/** PUT of a resource with the admin token; resolves with the status. */
export async function adminPut(topology: Topology, url: string, doc: object): Promise<number> {
  const r = await http('PUT', url, {
    body: JSON.stringify(doc),
    contentType: 'application/json',
    token: topology.adminToken,
  });
  return r.status;
}

/** A mesh with one builtin CA whose dataplane certificates last `expiration` (e.g. `1h`, `10s`). */
export const builtinMesh = (name: string, expiration: string) => ({
  type: 'Mesh',
  name,
  mtls: {
    enabledBackend: 'ca-1',
    backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration } } }],
  },
});

/** The sum of a metric's samples on a replica's /metrics (0 when it has none). */
export async function replicaMetric(url: string, name: string, labels = ''): Promise<number> {
  return metricSum(await (await fetch(`${url}/metrics`)).text(), name, labels);
}
