import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { eventually } from '@meshtls/testing';
import { trustBundle, type DataplaneServerMessage, type IssueReason } from '@meshtls/contracts';
import { ResourceType, type MtlsBackend } from '@meshtls/domain';
import { createCsr } from '@meshtls/pki';
import { InProcessBus, MemoryLeaseStore, MemoryResourceStore } from '@meshtls/store';
import { FakeClock } from '@meshtls/util';
import { BuiltinCaManager } from '../ca/builtin-ca.manager';
import { CaRegistry } from '../ca/ca-registry';
import { DataSourceReader } from '../ca/data-source.reader';
import { IssueCertificateUseCase } from '../ca/issue-certificate.use-case';
import { ProvidedCaManager } from '../ca/provided-ca.manager';
import { TrustBundleQuery } from '../ca/trust-bundle.query';
import { StreamRefusedError, StreamStatus, type DataplaneChannel } from './dataplane-channel.port';
import { DataplaneHub } from './dataplane-hub';
import { DataplaneTokenError, type DataplaneTokenVerifier } from './dataplane-token.port';
import type { IdentityIssuer } from './identity-issuer';

const clock = new FakeClock('2026-06-01T00:00:00Z');
const builtin = (name: string, expiration = '1d') => ({
  name,
  type: 'builtin',
  dpCert: { rotation: { expiration } },
});
const dataplane = (service = 'web', port = 8080) => ({
  networking: { address: '10.0.0.1', inbound: [{ port, tags: { 'kuma.io/service': service } }] },
});

/** Tokens in tests are `ok:{mesh}:{name}`; anything else is malformed. */
const tokens: DataplaneTokenVerifier = {
  verify: async (token) => {
    const [ok, mesh, name] = token.split(':');
    if (ok !== 'ok' || !mesh || !name) throw new DataplaneTokenError('malformed', 'not a token');
    return { mesh, name, tags: {}, expiresAt: new Date('2030-01-01'), keyId: '1' };
  },
};

/** A dataplane's end of a stream: records what it is sent and answers CSR requests with a fresh key. */
class FakeDataplane implements DataplaneChannel {
  readonly received: DataplaneServerMessage[] = [];
  closed?: { status: StreamStatus; message: string };
  onCsrRequest?: (requestId: string) => void;

  send(message: DataplaneServerMessage): void {
    this.received.push(message);
    if (message.type === 'csr-request') this.onCsrRequest?.(message.requestId);
  }

  close(status: StreamStatus, message: string): void {
    this.closed = { status, message };
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

const csr = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return createCsr({ privateKey, publicKey });
};

describe('DataplaneHub', () => {
  let store: MemoryResourceStore;
  let leases: MemoryLeaseStore;
  let bus: InProcessBus;
  let builtinCas: BuiltinCaManager;
  let issued: IssueReason[];
  const hubs: DataplaneHub[] = [];
  const stops: (() => void)[] = [];

  const makeHub = (instance: string, csrTimeoutMs?: number, trafficDebounceMs?: number) => {
    const registry = new CaRegistry({
      builtin: builtinCas,
      provided: new ProvidedCaManager(new DataSourceReader(store), clock),
    });
    const issue = new IssueCertificateUseCase(store, registry, clock);
    const issuer: IdentityIssuer = {
      issue: async (command) => {
        issued.push(command.reason);
        return issue.execute(command);
      },
    };
    const query = new TrustBundleQuery(store, registry);
    stops.push(registry.followChanges(store));
    const sub = bus.serve(trustBundle, async (r) => ({ trustBundle: await query.execute(r.mesh) }), {
      queue: 'ca-signer',
    });
    stops.push(() => void sub.unsubscribe());
    const hub = new DataplaneHub({
      store,
      leases,
      bus,
      issuer,
      tokens,
      authorize: () => undefined,
      clock,
      instance,
      ...(csrTimeoutMs ? { csrTimeoutMs } : {}),
      ...(trafficDebounceMs ? { trafficDebounceMs } : {}),
    });
    stops.push(hub.followChanges());
    hubs.push(hub);
    return hub;
  };

  const putMesh = async (mtls?: { enabledBackend?: string; backends?: object[] }) => {
    for (const b of mtls?.backends ?? []) await builtinCas.ensure('default', b as MtlsBackend);
    const existing = await store.get({ type: ResourceType.Mesh, name: 'default' });
    const spec = mtls ? { mtls } : {};
    if (existing) await store.update(existing.meta, spec, existing.meta.version);
    else await store.create({ type: ResourceType.Mesh, name: 'default' }, spec);
  };

  const hello = (name = 'web-1', session = 'session-aaaa', extra: object = {}) => ({
    type: 'hello' as const,
    mesh: 'default',
    name,
    token: `ok:default:${name}`,
    session,
    csrPem: csr(),
    ...extra,
  });

  beforeEach(async () => {
    store = new MemoryResourceStore(clock);
    leases = new MemoryLeaseStore(clock);
    bus = new InProcessBus();
    builtinCas = new BuiltinCaManager(store, clock);
    issued = [];
    await putMesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1')] });
    await store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' }, dataplane());
  });

  afterEach(async () => {
    stops.splice(0).forEach((s) => s());
    hubs.splice(0).forEach((h) => h.closeAll('test over'));
    await bus.close();
  });

  it('gives a new dataplane a certificate for its CSR key and records its lease', async () => {
    const hub = makeHub('cp-1@boot-1');
    const dp = new FakeDataplane();
    await hub.connect(dp, hello());
    const [identity] = dp.identities();
    expect(identity).toMatchObject({
      reason: 'new',
      backend: 'ca-1',
      uris: ['spiffe://default/web'],
      mode: 'STRICT',
    });
    const cert = new X509Certificate(identity!.certPem);
    expect(cert.subjectAltName).toBe('URI:spiffe://default/web');
    expect(identity!.keyPem).toBeUndefined();
    const lease = await leases.get('default', 'web-1');
    expect(lease).toMatchObject({
      serial: identity!.serial,
      controlPlaneInstance: 'cp-1@boot-1',
      session: 'session-aaaa',
      backend: 'ca-1',
      supportedBackends: ['ca-1'],
    });
    // rotateAt is 4/5 into the certificate's window (1 day from now, notBefore backdated a few seconds).
    const window = Date.parse(lease!.notAfter) - Date.parse(lease!.notBefore);
    expect(Date.parse(lease!.notAfter)).toBe(clock.now().getTime() + 86_400_000);
    expect(Date.parse(lease!.rotateAt) - Date.parse(lease!.notBefore)).toBe(Math.floor(0.8 * window));
  });

  it('names the trigger: restart (new session), reconnect (other replica), control-plane restart (same replica, new boot)', async () => {
    const first = makeHub('cp-1@boot-1');
    await first.connect(new FakeDataplane(), hello('web-1', 'session-aaaa'));
    const other = makeHub('cp-2@boot-1');
    const moved = new FakeDataplane();
    await other.connect(moved, hello('web-1', 'session-aaaa'));
    expect(moved.identities()[0]!.reason).toBe('reconnect');
    const restarted = makeHub('cp-2@boot-2');
    const back = new FakeDataplane();
    await restarted.connect(back, hello('web-1', 'session-aaaa'));
    expect(back.identities()[0]!.reason).toBe('control-plane-restart');
    const again = new FakeDataplane();
    await restarted.connect(again, hello('web-1', 'session-bbbb'));
    expect(again.identities()[0]!.reason).toBe('restart');
    // The older stream of the same dataplane on this replica is ended.
    expect(back.closed?.status).toBe(StreamStatus.Unavailable);
  });

  it('rotates on request with a fresh CSR, and answers stale and not-connected without issuing', async () => {
    const hub = makeHub('cp-1@boot-1');
    const dp = new FakeDataplane();
    const session = await hub.connect(dp, hello());
    dp.onCsrRequest = (requestId) =>
      setImmediate(() => hub.onMessage(session, { type: 'csr', requestId, csrPem: csr() }));
    const serial = dp.identities()[0]!.serial;
    expect(
      await hub.rotate({ mesh: 'default', dataplane: 'web-1', serial: 'other', reason: 'rotation' }),
    ).toEqual({
      status: 'stale',
    });
    expect(await hub.rotate({ mesh: 'default', dataplane: 'nobody', serial, reason: 'rotation' })).toEqual({
      status: 'not-connected',
    });
    expect(await hub.rotate({ mesh: 'default', dataplane: 'web-1', serial, reason: 'rotation' })).toEqual({
      status: 'rotated',
    });
    const [first, second] = dp.identities();
    expect(second!.reason).toBe('rotation');
    expect(second!.serial).not.toBe(first!.serial);
    expect(
      new X509Certificate(second!.certPem).publicKey.equals(new X509Certificate(first!.certPem).publicKey),
    ).toBe(false);
    expect((await leases.get('default', 'web-1'))!.serial).toBe(second!.serial);
    expect(issued).toEqual(['new', 'rotation']);
  });

  it('a rotation whose dataplane never sends its CSR fails, and the dataplane keeps its certificate', async () => {
    const hub = makeHub('cp-1@boot-1', 50);
    const dp = new FakeDataplane(); // never answers a CSR request
    await hub.connect(dp, hello());
    const serial = dp.identities()[0]!.serial;
    const outcome = await hub.rotate({ mesh: 'default', dataplane: 'web-1', serial, reason: 'rotation' });
    expect(outcome.status).toBe('failed');
    expect(outcome.detail).toMatch(/sent no CSR within 50 ms/);
    expect(dp.identities()).toHaveLength(1);
    expect((await leases.get('default', 'web-1'))!.serial).toBe(serial);
  });

  it('walks a CA switch: trust both, then issue from the new CA, then drop the old trust', async () => {
    const hub = makeHub('cp-1@boot-1');
    const dp = new FakeDataplane();
    const session = await hub.connect(dp, hello());
    dp.onCsrRequest = (requestId) =>
      setImmediate(() => hub.onMessage(session, { type: 'csr', requestId, csrPem: csr() }));
    await putMesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1'), builtin('ca-2')] });
    await eventually(() =>
      expect(dp.last()).toMatchObject({ type: 'trust', supportedBackends: ['ca-1', 'ca-2'] }),
    );
    expect(dp.identities()).toHaveLength(1);
    await putMesh({ enabledBackend: 'ca-2', backends: [builtin('ca-1'), builtin('ca-2')] });
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    const switched = dp.identities()[1]!;
    expect(switched).toMatchObject({ reason: 'mesh-change', backend: 'ca-2' });
    const ca2 = new X509Certificate(switched.trustBundle.find((a) => a.backend === 'ca-2')!.certPem);
    expect(new X509Certificate(switched.certPem).verify(ca2.publicKey)).toBe(true);
    await putMesh({ enabledBackend: 'ca-2', backends: [builtin('ca-2')] });
    await eventually(() => expect(dp.last()).toMatchObject({ type: 'trust', supportedBackends: ['ca-2'] }));
    expect(dp.identities()).toHaveLength(2);
    expect(issued).toEqual(['new', 'mesh-change']);
  });

  it('withdraws on mTLS off (dropping the lease), issues on mTLS on, and ignores changes it does not depend on', async () => {
    const hub = makeHub('cp-1@boot-1');
    const dp = new FakeDataplane();
    const session = await hub.connect(dp, hello());
    dp.onCsrRequest = (requestId) =>
      setImmediate(() => hub.onMessage(session, { type: 'csr', requestId, csrPem: csr() }));
    await putMesh({
      enabledBackend: 'ca-1',
      backends: [{ ...builtin('ca-1'), conf: { caCert: { RSAbits: 2048 } } }],
    });
    await putMesh();
    await eventually(() => expect(dp.last()).toMatchObject({ type: 'withdrawn' }));
    expect(await leases.get('default', 'web-1')).toBeUndefined();
    await putMesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1')] });
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    expect(issued).toEqual(['new', 'mesh-change']);
  });

  it('re-issues when the tags change, not when only a port does', async () => {
    const hub = makeHub('cp-1@boot-1');
    const dp = new FakeDataplane();
    const session = await hub.connect(dp, hello());
    dp.onCsrRequest = (requestId) =>
      setImmediate(() => hub.onMessage(session, { type: 'csr', requestId, csrPem: csr() }));
    const key = { type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' };
    let record = (await store.get(key))!;
    record = await store.update(key, dataplane('web', 9090), record.meta.version);
    await store.update(key, dataplane('web-v2', 9090), record.meta.version);
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    expect(dp.identities()[1]).toMatchObject({
      reason: 'dataplane-change',
      uris: ['spiffe://default/web-v2'],
    });
    expect(issued).toEqual(['new', 'dataplane-change']);
  });

  it('creates the Dataplane from the hello, and refuses with a reason: bad token, foreign token, unknown mesh, invalid resource', async () => {
    const hub = makeHub('cp-1@boot-1');
    const created = new FakeDataplane();
    await hub.connect(
      created,
      hello('api-1', 'session-cccc', { dataplane: { type: 'Dataplane', ...dataplane('api') } }),
    );
    expect(created.identities()[0]!.uris).toEqual(['spiffe://default/api']);
    expect(await store.get({ type: ResourceType.Dataplane, mesh: 'default', name: 'api-1' })).toBeDefined();

    const refusal = (h: object) =>
      hub.connect(new FakeDataplane(), { ...hello(), ...h }).catch((e: unknown) => e);
    expect(await refusal({ token: 'garbage' })).toMatchObject({ status: StreamStatus.Unauthenticated });
    expect(await refusal({ token: 'ok:default:api-1' })).toMatchObject({
      status: StreamStatus.PermissionDenied,
      message: expect.stringContaining('bound to dataplane "api-1"'),
    });
    expect(await refusal({ mesh: 'nope', token: 'ok:nope:web-1' })).toMatchObject({
      status: StreamStatus.NotFound,
    });
    const invalid = await refusal({ dataplane: { networking: { address: '', inbound: [] } } });
    expect(invalid).toBeInstanceOf(StreamRefusedError);
    expect(invalid).toMatchObject({ status: StreamStatus.InvalidArgument });
    expect((invalid as Error).message).toMatch(/networking/);
  });

  it('puts back the leases the lease store lost, without re-issuing', async () => {
    const hub = makeHub('cp-1@boot-1');
    const dp = new FakeDataplane();
    await hub.connect(dp, hello());
    const lease = await leases.get('default', 'web-1');
    expect(await hub.restoreLostLeases()).toBe(0); // nothing lost: nothing written
    await leases.delete('default', 'web-1'); // the store restarted without its data
    expect(await hub.restoreLostLeases()).toBe(1);
    expect(await leases.get('default', 'web-1')).toEqual(lease);
    expect(dp.identities()).toHaveLength(1);
    expect(issued).toEqual(['new']);
  });

  describe('traffic', () => {
    const withOutbound = (service: string, outbound: string, address: string, port = 8080) => ({
      networking: {
        address,
        inbound: [{ port, tags: { 'kuma.io/service': service } }],
        outbound: [{ port: 10001, tags: { 'kuma.io/service': outbound } }],
      },
    });
    const permission = (name: string, target: string, from: string, action = 'Allow') =>
      store.create(
        { type: ResourceType.MeshTrafficPermission, mesh: 'default', name },
        {
          targetRef: { kind: 'MeshService', name: target },
          from: [{ targetRef: { kind: 'MeshService', name: from }, default: { action } }],
        },
      );

    it('sends each dataplane its resource, the permissions selecting it and its upstreams, then every change', async () => {
      const hub = makeHub('cp-1@boot-1', undefined, 10);
      await permission('backend-from-web', 'backend', 'web');
      await permission('db-from-backend', 'db', 'backend');
      const web = new FakeDataplane();
      await hub.connect(
        web,
        hello('web-1', 'session-aaaa', { dataplane: withOutbound('web', 'backend', '10.0.0.1') }),
      );
      expect(web.traffic()).toEqual({
        type: 'traffic',
        dataplane: withOutbound('web', 'backend', '10.0.0.1'),
        permissions: [],
        endpoints: [{ service: 'backend', endpoints: [] }],
      });
      const backend = new FakeDataplane();
      await hub.connect(
        backend,
        hello('backend-1', 'session-bbbb', { dataplane: withOutbound('backend', 'db', '10.0.0.2', 9000) }),
      );
      expect(backend.traffic()!.permissions.map((p) => p.name)).toEqual(['backend-from-web']);
      // The new backend is pushed to web, which calls it.
      await eventually(() =>
        expect(web.traffic()!.endpoints).toEqual([
          { service: 'backend', endpoints: [{ address: '10.0.0.2', port: 9000, mtls: true }] },
        ]),
      );
      // A new permission reaches the dataplane it selects, and only that one.
      const webMessages = web.received.length;
      await permission('backend-from-api', 'backend', 'api', 'Deny');
      await eventually(() =>
        expect(backend.traffic()!.permissions.map((p) => p.name)).toEqual([
          'backend-from-api',
          'backend-from-web',
        ]),
      );
      expect(web.received.length).toBe(webMessages);
      // A backend moving away: its old endpoint is gone.
      const record = await store.get({ type: ResourceType.Dataplane, mesh: 'default', name: 'backend-1' });
      await store.update(record!.meta, withOutbound('backend', 'db', '10.0.0.3', 9000), record!.meta.version);
      await eventually(() =>
        expect(web.traffic()!.endpoints[0]!.endpoints).toEqual([
          { address: '10.0.0.3', port: 9000, mtls: true },
        ]),
      );
      await store.delete({ type: ResourceType.Dataplane, mesh: 'default', name: 'backend-1' });
      await eventually(() => expect(web.traffic()!.endpoints[0]!.endpoints).toEqual([]));
    });

    it('in PERMISSIVE marks upstreams without a certificate for plaintext until one is issued on any replica', async () => {
      await putMesh({
        enabledBackend: 'ca-1',
        backends: [{ ...builtin('ca-1'), mode: 'PERMISSIVE' }],
      });
      await store.create(
        { type: ResourceType.Dataplane, mesh: 'default', name: 'backend-1' },
        withOutbound('backend', 'db', '10.0.0.2', 9000),
      );
      const hubA = makeHub('cp-1@boot-1', undefined, 10);
      const hubB = makeHub('cp-2@boot-1', undefined, 10);
      const web = new FakeDataplane();
      await hubA.connect(
        web,
        hello('web-1', 'session-aaaa', { dataplane: withOutbound('web', 'backend', '10.0.0.1') }),
      );
      expect(web.traffic()!.endpoints[0]!.endpoints).toEqual([
        { address: '10.0.0.2', port: 9000, mtls: false },
      ]);
      await hubB.connect(new FakeDataplane(), hello('backend-1', 'session-bbbb'));
      await eventually(() =>
        expect(web.traffic()!.endpoints[0]!.endpoints).toEqual([
          { address: '10.0.0.2', port: 9000, mtls: true },
        ]),
      );
    });
  });
});
