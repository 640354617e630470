/**
 * A share of the simulated fleet, in its own process (forked by fleet.bench.ts): real DataplaneAgents
 * multiplexed over one connection per replica, reporting each identity they receive to the parent, and
 * watching that each dataplane holds a valid certificate (sampled every VALIDITY_SAMPLE_MS, checked at
 * every certificate change and when the parent asks for the report).
 */
import { DataplaneAgent, grpcCredentials } from '@meshtls/dataplane-agent';
import { ValidityWatch, type ValidityReport } from './certificate-validity';

export interface FleetWorkerStart {
  readonly type: 'start';
  readonly addresses: readonly [string, string];
  readonly caCertPem: string;
  readonly mesh: string;
  readonly dataplanes: readonly { index: number; token: string }[];
  /** Each dataplane its own TLS connection (as sidecars) instead of sharing one per replica. */
  readonly ownConnections: boolean;
}

/** Asks a worker for its {@link ValidityReport}, checking every dataplane once more first. */
export interface FleetWorkerValidityRequest {
  readonly type: 'validity';
}

/**
 * One identity received: which dataplane, from which replica, why, when, ms since its agent started, and
 * the certificate's serial and validity (read from the certificate).
 */
export interface FleetIdentityEvent {
  readonly index: number;
  readonly connectedTo: string;
  readonly reason: string;
  readonly at: number;
  readonly sinceStartMs: number;
  readonly serial: string;
  /** The backend whose CA signed it. */
  readonly backend: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/**
 * A trust bundle received without a certificate (a backend added or dropped): which dataplane, when, and
 * the backends the bundle trusts. The agent acknowledges it as the sidecar does (`{type:'ack', serial,
 * bundle}`), which is what a CA switch waits for.
 */
export interface FleetTrustEvent {
  readonly index: number;
  readonly at: number;
  readonly backends: readonly string[];
}

export type FleetWorkerMessage =
  | { readonly type: 'identities'; readonly events: FleetIdentityEvent[] }
  | { readonly type: 'trusts'; readonly events: FleetTrustEvent[] }
  | { readonly type: 'failures'; readonly count: number; readonly sample: string[] }
  | { readonly type: 'validity'; readonly report: ValidityReport }
  | { readonly type: 'stopped' };

/** How often every dataplane's certificate is checked against the clock. */
const VALIDITY_SAMPLE_MS = 100;

const agents: DataplaneAgent[] = [];
let watch: ValidityWatch | undefined;
let pending: FleetIdentityEvent[] = [];
let pendingTrusts: FleetTrustEvent[] = [];
/** Streams that ended or failed to open (each costs the dataplane a backoff before it tries again). */
let failures = 0;
const failureSample = new Set<string>();

function flush(): void {
  if (pendingTrusts.length > 0) {
    process.send?.({ type: 'trusts', events: pendingTrusts } satisfies FleetWorkerMessage);
    pendingTrusts = [];
  }
  if (pending.length === 0) return;
  process.send?.({ type: 'identities', events: pending } satisfies FleetWorkerMessage);
  pending = [];
}

function start(message: FleetWorkerStart): void {
  const shared = grpcCredentials.createSsl(Buffer.from(message.caCertPem));
  const holders: { index: number; current(): string | undefined }[] = [];
  watch = new ValidityWatch(holders);
  setInterval(() => watch!.sample(), VALIDITY_SAMPLE_MS).unref();
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
    /** The certificate the dataplane held before the one just received. */
    let held: string | undefined;
    holders.push({ index, current: () => agent.identity?.certPem });
    agent.on('identity', (id) => {
      const at = Date.now();
      watch!.changed(index, held, id.certPem, at);
      held = id.certPem;
      pending.push({
        index,
        connectedTo: agent.connectedTo ?? '',
        reason: id.reason,
        at,
        sinceStartMs: performance.now() - startedAt,
        serial: id.serial,
        backend: id.backend,
        ...watch!.windowOf(id.certPem),
      });
    });
    // The agent acknowledges the bundle right after emitting it, on the same tick.
    agent.on('trust', () =>
      pendingTrusts.push({ index, at: Date.now(), backends: agent.identity?.supportedBackends ?? [] }),
    );
    agent.on('withdrawn', () => (held = undefined));
    agent.on('disconnected', (e) => {
      failures++;
      if (failureSample.size < 5) failureSample.add(e.details);
    });
    agents.push(agent);
    agent.start();
  }
}

setInterval(flush, 50).unref();
process.on('message', (message: FleetWorkerStart | FleetWorkerValidityRequest | { type: 'stop' }) => {
  if (message.type === 'start') start(message);
  else if (message.type === 'validity') {
    const report = watch?.report() ?? { checks: 0, invalidMoments: 0, invalid: [], invalidAtEnd: [] };
    process.send?.({ type: 'validity', report } satisfies FleetWorkerMessage);
  } else {
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
