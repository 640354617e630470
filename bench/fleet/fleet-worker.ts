/**
 * A share of the simulated fleet, in its own process (forked by fleet.bench.ts): real DataplaneAgents
 * multiplexed over one connection per replica, reporting each identity they receive to the parent.
 */
import { DataplaneAgent, grpcCredentials } from '@meshtls/dataplane-agent';

export interface FleetWorkerStart {
  readonly type: 'start';
  readonly addresses: readonly [string, string];
  readonly caCertPem: string;
  readonly mesh: string;
  readonly dataplanes: readonly { index: number; token: string }[];
  /** Each dataplane its own TLS connection (as sidecars) instead of sharing one per replica. */
  readonly ownConnections: boolean;
}

/** One identity received: which dataplane, from which replica, why, and ms since its agent started. */
export interface FleetIdentityEvent {
  readonly index: number;
  readonly connectedTo: string;
  readonly reason: string;
  readonly at: number;
  readonly sinceStartMs: number;
}

export type FleetWorkerMessage =
  | { readonly type: 'identities'; readonly events: FleetIdentityEvent[] }
  | { readonly type: 'failures'; readonly count: number; readonly sample: string[] }
  | { readonly type: 'stopped' };

const agents: DataplaneAgent[] = [];
let pending: FleetIdentityEvent[] = [];
/** Streams that ended or failed to open (each costs the dataplane a backoff before it tries again). */
let failures = 0;
const failureSample = new Set<string>();

function flush(): void {
  if (pending.length === 0) return;
  process.send?.({ type: 'identities', events: pending } satisfies FleetWorkerMessage);
  pending = [];
}

function start(message: FleetWorkerStart): void {
  const shared = grpcCredentials.createSsl(Buffer.from(message.caCertPem));
  for (const { index, token } of message.dataplanes) {
    const agent = new DataplaneAgent({
      cpAddresses: index % 2 === 0 ? message.addresses : [message.addresses[1], message.addresses[0]],
      caCertPem: message.caCertPem,
      mesh: message.mesh,
      name: `dp-${index}`,
      token,
      dataplane: {
        type: 'Dataplane',
        networking: {
          address: '127.0.0.1',
          inbound: [{ port: 10_000 + (index % 50_000), tags: { 'kuma.io/service': `svc-${index % 100}` } }],
        },
      },
      serverName: 'localhost',
      ...(message.ownConnections ? {} : { credentials: shared }),
    });
    const startedAt = performance.now();
    agent.on('identity', (id) =>
      pending.push({
        index,
        connectedTo: agent.connectedTo ?? '',
        reason: id.reason,
        at: Date.now(),
        sinceStartMs: performance.now() - startedAt,
      }),
    );
    agent.on('disconnected', (e) => {
      failures++;
      if (failureSample.size < 5) failureSample.add(e.details);
    });
    agents.push(agent);
    agent.start();
  }
}

setInterval(flush, 50).unref();
process.on('message', (message: FleetWorkerStart | { type: 'stop' }) => {
  if (message.type === 'start') start(message);
  else {
    for (const agent of agents) agent.stop();
    flush();
    process.send?.({
      type: 'failures',
      count: failures,
      sample: [...failureSample],
    } satisfies FleetWorkerMessage);
    process.send?.({ type: 'stopped' } satisfies FleetWorkerMessage, () => process.exit(0));
  }
});
