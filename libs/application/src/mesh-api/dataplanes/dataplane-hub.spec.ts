import { X509Certificate } from 'node:crypto';
import { eventually } from '@meshtls/testing';
import { ResourceType } from '@meshtls/domain';
import { StreamRefusedError, StreamStatus } from './dataplane-channel.port';
import { FakeDataplane, HubWorld, builtin, clock, csr, dataplane } from './dataplane-hub.test-support';

describe('DataplaneHub', () => {
  const w = HubWorld.perTest();

  it('gives a new dataplane a certificate for its CSR key and records its lease', async () => {
    const hub = w.makeHub('cp-1@boot-1');
    const dp = new FakeDataplane();
    await hub.connect(dp, w.hello());
    const [identity] = dp.identities();
    expect(identity).toMatchObject({
      reason: 'new',
      backend: 'ca-1',
      uris: ['spiffe://default/web', 'kuma://kuma.io/service/web'],
      mode: 'STRICT',
    });
    const cert = new X509Certificate(identity!.certPem);
    expect(cert.subjectAltName).toBe('URI:spiffe://default/web, URI:kuma://kuma.io/service/web');
    expect(identity!.keyPem).toBeUndefined();
    const lease = await w.leases.get('default', 'web-1');
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
    const first = w.makeHub('cp-1@boot-1');
    await first.connect(new FakeDataplane(), w.hello('web-1', 'session-aaaa'));
    const other = w.makeHub('cp-2@boot-1');
    const moved = new FakeDataplane();
    await other.connect(moved, w.hello('web-1', 'session-aaaa'));
    expect(moved.identities()[0]!.reason).toBe('reconnect');
    const restarted = w.makeHub('cp-2@boot-2');
    const back = new FakeDataplane();
    await restarted.connect(back, w.hello('web-1', 'session-aaaa'));
    expect(back.identities()[0]!.reason).toBe('control-plane-restart');
    const again = new FakeDataplane();
    await restarted.connect(again, w.hello('web-1', 'session-bbbb'));
    expect(again.identities()[0]!.reason).toBe('restart');
    // The older stream of the same dataplane on this replica is ended: replaced.
    expect(back.closed).toEqual({
      status: StreamStatus.Aborted,
      message: 'replaced by a newer stream of the same dataplane',
      reason: 'replaced',
    });
  });

  it('rotates on request with a fresh CSR once due, and answers stale and not-connected without issuing', async () => {
    const hub = w.makeHub('cp-1@boot-1');
    const { dp } = await w.connectAnswering(hub);
    const serial = dp.identities()[0]!.serial;
    clock.set(dp.identities()[0]!.rotateAt);
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
    expect((await w.leases.get('default', 'web-1'))!.serial).toBe(second!.serial);
    expect(w.issued).toEqual(['new', 'rotation']);
  });

  it('a rotation whose dataplane never sends its CSR fails, and the dataplane keeps its certificate', async () => {
    const hub = w.makeHub('cp-1@boot-1', 50);
    const dp = new FakeDataplane(); // never answers a CSR request
    await hub.connect(dp, w.hello());
    const serial = dp.identities()[0]!.serial;
    clock.set(dp.identities()[0]!.rotateAt);
    const outcome = await hub.rotate({ mesh: 'default', dataplane: 'web-1', serial, reason: 'rotation' });
    expect(outcome.status).toBe('failed');
    expect(outcome.detail).toMatch(/sent no CSR within 50 ms/);
    expect(dp.identities()).toHaveLength(1);
    expect((await w.leases.get('default', 'web-1'))!.serial).toBe(serial);
  });

  it('walks a CA switch: trust both, then issue from the new CA, then drop the old trust', async () => {
    const hub = w.makeHub('cp-1@boot-1');
    const { dp } = await w.connectAnswering(hub);
    await w.putMesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1'), builtin('ca-2')] });
    await eventually(() =>
      expect(dp.last()).toMatchObject({ type: 'trust', supportedBackends: ['ca-1', 'ca-2'] }),
    );
    expect(dp.identities()).toHaveLength(1);
    await w.putMesh({ enabledBackend: 'ca-2', backends: [builtin('ca-1'), builtin('ca-2')] });
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    const switched = dp.identities()[1]!;
    expect(switched).toMatchObject({ reason: 'mesh-change', backend: 'ca-2' });
    const ca2 = new X509Certificate(switched.trustBundle.find((a) => a.backend === 'ca-2')!.certPem);
    expect(new X509Certificate(switched.certPem).verify(ca2.publicKey)).toBe(true);
    await w.putMesh({ enabledBackend: 'ca-2', backends: [builtin('ca-2')] });
    await eventually(() => expect(dp.last()).toMatchObject({ type: 'trust', supportedBackends: ['ca-2'] }));
    expect(dp.identities()).toHaveLength(2);
    expect(w.issued).toEqual(['new', 'mesh-change']);
  });

  it('withdraws on mTLS off (dropping the lease), issues on mTLS on, and ignores changes it does not depend on', async () => {
    const hub = w.makeHub('cp-1@boot-1');
    const { dp } = await w.connectAnswering(hub);
    await w.putMesh({
      enabledBackend: 'ca-1',
      backends: [{ ...builtin('ca-1'), conf: { caCert: { RSAbits: 2048 } } }],
    });
    await w.putMesh();
    await eventually(() => expect(dp.last()).toMatchObject({ type: 'withdrawn' }));
    expect(await w.leases.get('default', 'web-1')).toBeUndefined();
    await w.putMesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1')] });
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    expect(w.issued).toEqual(['new', 'mesh-change']);
  });

  it('re-issues when the tags change, not when only a port does', async () => {
    const hub = w.makeHub('cp-1@boot-1');
    const { dp } = await w.connectAnswering(hub);
    const key = { type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' };
    let record = (await w.store.get(key))!;
    record = await w.store.update(key, dataplane('web', 9090), record.meta.version);
    await w.store.update(key, dataplane('web-v2', 9090), record.meta.version);
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    expect(dp.identities()[1]).toMatchObject({
      reason: 'dataplane-change',
      uris: ['spiffe://default/web-v2', 'kuma://kuma.io/service/web-v2'],
    });
    expect(w.issued).toEqual(['new', 'dataplane-change']);
  });

  it('survives a change it cannot apply (a spec no validator checked), logs and counts it, and applies the next', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const hub = w.makeHub('cp-1@boot-1');
      const { dp } = await w.connectAnswering(hub);
      // The memory store checks nothing: what a store without a spec check would hand over.
      const key = { type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' };
      let record = (await w.store.get(key))!;
      record = await w.store.update(key, { networking: 42 }, record.meta.version);
      await eventually(() => expect(w.changeFailures).toEqual(['Dataplane']));
      expect(w.warnings).toEqual([
        expect.stringMatching(/^change of Dataplane\/default\/web-1 not applied to its dataplanes: /),
      ]);
      await w.store.update(key, dataplane('web-v2'), record.meta.version);
      await eventually(() => expect(dp.identities()).toHaveLength(2));
      expect(dp.identities()[1]).toMatchObject({
        reason: 'dataplane-change',
        uris: ['spiffe://default/web-v2', 'kuma://kuma.io/service/web-v2'],
      });
      // Given a turn for a rejection nobody handled to be reported.
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
      expect(dp.closed).toBeUndefined();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('creates the Dataplane from the hello, and refuses with a reason: bad token, foreign token, unknown mesh, invalid resource', async () => {
    const hub = w.makeHub('cp-1@boot-1');
    const created = new FakeDataplane();
    await hub.connect(
      created,
      w.hello('api-1', 'session-cccc', { dataplane: { type: 'Dataplane', ...dataplane('api') } }),
    );
    expect(created.identities()[0]!.uris).toEqual(['spiffe://default/api', 'kuma://kuma.io/service/api']);
    expect(await w.store.get({ type: ResourceType.Dataplane, mesh: 'default', name: 'api-1' })).toBeDefined();

    const refusal = (h: object) =>
      hub.connect(new FakeDataplane(), { ...w.hello(), ...h }).catch((e: unknown) => e);
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
    const hub = w.makeHub('cp-1@boot-1');
    const dp = new FakeDataplane();
    await hub.connect(dp, w.hello());
    const lease = await w.leases.get('default', 'web-1');
    expect(await hub.restoreLostLeases()).toEqual({ restored: 0, expired: 0 }); // nothing lost: nothing written
    await w.leases.delete('default', 'web-1'); // the store restarted without its data
    expect(await hub.restoreLostLeases()).toEqual({ restored: 1, expired: 0 });
    expect(await w.leases.get('default', 'web-1')).toEqual(lease);
    expect(dp.identities()).toHaveLength(1);
    expect(w.issued).toEqual(['new']);
  });
});

describe('DataplaneHub: a mesh change whose certificate could not be issued', () => {
  const w = HubWorld.perTest();

  it('asks again after a pause, so the dataplane does not keep its old certificate until rotation', async () => {
    // CSR requests not answered within 300 ms time out; the dataplane misses the first one.
    const hub = w.makeHub('cp-1@boot-1', 300);
    const dp = new FakeDataplane();
    const session = await hub.connect(dp, w.hello());
    let missed = 0;
    dp.onCsrRequest = (requestId) => {
      if (missed++ === 0) return;
      setImmediate(() => hub.onMessage(session, { type: 'csr', requestId, csrPem: csr() }));
    };
    await w.putMesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1', '2d')] });
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    expect(missed).toBe(2);
    expect(dp.identities()[1]).toMatchObject({ reason: 'mesh-change' });
    expect(w.warnings.join('\n')).toContain('sent no CSR within 300 ms');
  });
});
