import { generateKeyPairSync } from 'node:crypto';
import type { DataplaneServerMessage, IssueReason, StreamEndReason } from '@meshtls/contracts';
import { ResourceType, type MtlsBackend } from '@meshtls/domain';
import { createCsr } from '@meshtls/pki';
import { InProcessBus } from '@meshtls/bus';
import { MemoryLeaseStore, MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { BuiltinCaManager } from '../../ca-signer/builtin-ca.manager';
import { storeCas } from '../../ca-signer/ca-registry.test-support';
import { IssueCertificateUseCase } from '../../ca-signer/issue-certificate.use-case';
import type { DataplaneChannel, StreamStatus } from './dataplane-channel.port';
import { DataplaneHub, type DataplaneHubDeps } from './dataplane-hub';
import type { DataplaneSession } from './dataplane-session';
import { DataplaneTokenError, type DataplaneTokenVerifier } from './dataplane-token.port';
import type { IdentityIssuer } from './identity-issuer';
import { IssuedIdentityVerifier } from './issued-identity.verifier';
import { VerifyingIdentityIssuer } from './verifying-identity.issuer';

/** Test support for the hub's specs: real stores, bus and CAs in memory, fake dataplanes. */
export const clock = new FakeClock('2026-06-01T00:00:00Z');

export const builtin = (name: string, expiration = '1d') => ({
  name,
  type: 'builtin',
  dpCert: { rotation: { expiration } },
});

export const dataplane = (service = 'web', port = 8080) => ({
  networking: { address: '10.0.0.1', inbound: [{ port, tags: { 'kuma.io/service': service } }] },
});

export const csr = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return createCsr({ privateKey, publicKey });
};

/** Tokens in tests are `ok:{mesh}:{name}`; anything else is malformed. */
const tokens: DataplaneTokenVerifier = {
  verify: async (token) => {
    const [ok, mesh, name] = token.split(':');
    if (ok !== 'ok' || !mesh || !name) throw new DataplaneTokenError('malformed', 'not a token');
    return { mesh, name, tags: {}, type: '', workload: '', expiresAt: new Date('2030-01-01'), keyId: '1' };
  },
};

/** A dataplane's end of a stream: records what it is sent and answers CSR requests with a fresh key. */
export class FakeDataplane implements DataplaneChannel {
  readonly received: DataplaneServerMessage[] = [];
  closed?: { status: StreamStatus; message: string; reason?: StreamEndReason };
  onCsrRequest?: (requestId: string) => void;

  send(message: DataplaneServerMessage): void {
    this.received.push(message);
    if (message.type === 'csr-request') this.onCsrRequest?.(message.requestId);
  }

  close(status: StreamStatus, message: string, reason?: StreamEndReason): void {
    this.closed = { status, message, ...(reason ? { reason } : {}) };
  }

  identities() {
    return this.received.flatMap((m) => (m.type === 'identity' ? [m] : []));
  }

  last() {
    return this.received[this.received.length - 1];
  }

  traffic() {
    return this.received.flatMap((m) => (m.type === 'traffic' ? [m] : [])).at(-1);
  }
}

/** The dataplane answers each CSR request with a fresh key's CSR (or what `make` gives). */
export const answerCsrs = (hub: DataplaneHub, dp: FakeDataplane, session: DataplaneSession, make = csr) => {
  dp.onCsrRequest = (requestId) =>
    setImmediate(() => hub.onMessage(session, { type: 'csr', requestId, csrPem: make() }));
};

/**
 * The dataplane acknowledges every certificate and trust bundle it is sent, as the sidecar does, unless
 * `frozen()` says it is stopped (a SIGSTOPped sidecar): then nothing is answered until it thaws.
 */
export const answerAcks = (
  hub: DataplaneHub,
  dp: FakeDataplane,
  session: DataplaneSession,
  frozen: () => boolean = () => false,
) => {
  const ack = (message: DataplaneServerMessage) => {
    if (message.type === 'identity') hub.onMessage(session, { type: 'ack', serial: message.serial });
    else if (message.type === 'trust' && message.bundleId !== undefined)
      hub.onMessage(session, { type: 'ack', serial: '', bundle: message.bundleId });
  };
  const send = dp.send.bind(dp);
  dp.send = (message) => {
    send(message);
    if (!frozen()) setImmediate(() => ack(message));
  };
  for (const message of dp.received) if (!frozen()) ack(message);
  /** Thaws: answers the last certificate and bundle it was sent while frozen. */
  return () => {
    const lastIdentity = dp.received.filter((m) => m.type === 'identity').at(-1);
    const lastTrust = dp.received.filter((m) => m.type === 'trust').at(-1);
    if (lastIdentity) ack(lastIdentity);
    if (lastTrust) ack(lastTrust);
  };
};

/**
 * One test's world: mesh "default" with builtin backend ca-1 and Dataplane web-1, and any number of hub
 * replicas on the same store, lease store and bus. `issued` records every issuance's reason.
 */
export class HubWorld {
  readonly store = new MemoryResourceStore(clock);
  readonly leases = new MemoryLeaseStore(clock);
  readonly bus = new InProcessBus();
  readonly issued: IssueReason[] = [];
  /** What every hub logged at warn, and the store changes they could not apply. */
  readonly warnings: string[] = [];
  readonly changeFailures: string[] = [];
  private readonly builtinCas = new BuiltinCaManager(this.store, clock);
  private readonly hubs: DataplaneHub[] = [];
  private readonly stops: (() => void)[] = [];

  /**
   * A world for each test of the enclosing describe, made before the test and closed after it. The object
   * returned stands for the current test's world.
   */
  static perTest(): HubWorld {
    let current: HubWorld | undefined;
    beforeEach(async () => {
      current = await HubWorld.create();
    });
    afterEach(() => current?.close());
    return new Proxy({} as HubWorld, {
      get: (_target, property) => {
        if (!current) throw new Error('HubWorld.perTest(): the world exists only during a test');
        const value: unknown = Reflect.get(current, property, current);
        return typeof value === 'function' ? value.bind(current) : value;
      },
    });
  }

  static async create(): Promise<HubWorld> {
    const world = new HubWorld();
    await world.putMesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1')] });
    await world.store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' }, dataplane());
    return world;
  }

  /** `deps` replaces any of the hub's dependencies (a lease store of its own, a log, an observer). */
  makeHub(
    instance: string,
    csrTimeoutMs?: number,
    trafficDebounceMs?: number,
    deps: Partial<DataplaneHubDeps> = {},
  ): DataplaneHub {
    const { registry } = storeCas(this.store, clock, this.builtinCas);
    const issue = new IssueCertificateUseCase(this.store, registry, clock);
    const verifier = new IssuedIdentityVerifier(this.store, clock);
    this.stops.push(verifier.followChanges());
    const verified = new VerifyingIdentityIssuer((command) => issue.execute(command), verifier);
    const issuer: IdentityIssuer = {
      issue: async (command) => {
        this.issued.push(command.reason);
        return verified.issue(command);
      },
      trustBundle: (mesh, spec, caSwitch) => verified.trustBundle(mesh, spec, caSwitch),
    };
    this.stops.push(registry.followChanges(this.store));
    const hub = new DataplaneHub({
      store: this.store,
      leases: this.leases,
      bus: this.bus,
      issuer,
      tokens,
      authorize: () => undefined,
      clock,
      instance,
      log: (level, message) => level === 'warn' && this.warnings.push(message),
      observer: {
        issued: () => undefined,
        failed: () => undefined,
        changeFailed: ({ type }) => this.changeFailures.push(type),
      },
      ...(csrTimeoutMs ? { csrTimeoutMs } : {}),
      ...(trafficDebounceMs ? { trafficDebounceMs } : {}),
      ...deps,
    });
    this.stops.push(hub.followChanges());
    this.hubs.push(hub);
    return hub;
  }

  async putMesh(mtls?: { enabledBackend?: string; backends?: object[] }): Promise<void> {
    for (const b of mtls?.backends ?? []) await this.builtinCas.ensure('default', b as MtlsBackend);
    const existing = await this.store.get({ type: ResourceType.Mesh, name: 'default' });
    const spec = mtls ? { mtls } : {};
    if (existing) await this.store.update(existing.meta, spec, existing.meta.version);
    else await this.store.create({ type: ResourceType.Mesh, name: 'default' }, spec);
  }

  hello(name = 'web-1', session = 'session-aaaa', extra: object = {}) {
    return {
      type: 'hello' as const,
      mesh: 'default',
      name,
      token: `ok:default:${name}`,
      session,
      csrPem: csr(),
      ...extra,
    };
  }

  /** A dataplane that connects with `hello` and answers CSR requests at once, as the sidecar does. */
  async connectAnswering(hub: DataplaneHub, hello = this.hello()) {
    const dp = new FakeDataplane();
    const session = await hub.connect(dp, hello);
    answerCsrs(hub, dp, session);
    return { dp, session };
  }

  async close(): Promise<void> {
    this.stops.splice(0).forEach((s) => s());
    this.hubs.splice(0).forEach((h) => h.closeAll('test over'));
    await this.bus.close();
  }
}
