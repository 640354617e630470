import { generateKeyPairSync } from 'node:crypto';
import { MAX_TRAFFIC_PERMISSIONS, dataplaneConnection, type PayloadOf } from '@meshtls/contracts';
import { ResourceType } from '@meshtls/domain';
import { createCsr } from '@meshtls/pki';
import { eventually } from '@meshtls/testing';
import { RemoteError } from '@meshtls/util';
import { StreamStatus } from './dataplane-channel.port';
import type { HubObserver, LimitedIssuance } from './dataplane-hub';
import { FakeDataplane, HubWorld, answerCsrs, builtin, clock, dataplane } from './dataplane-hub.test-support';

/** Every observation the hub reports, kept for the test. */
function recordingObserver() {
  const seen = {
    rotationRefused: [] as string[],
    limited: [] as LimitedIssuance[],
    trafficRefused: 0,
  };
  const observer: HubObserver = {
    issued: () => undefined,
    failed: () => undefined,
    rotationRefused: (e) => seen.rotationRefused.push(e.reason),
    issuanceLimited: (e) => seen.limited.push(e),
    trafficRefused: () => seen.trafficRefused++,
  };
  return { observer, seen };
}

const forgedCsr = () => {
  const named = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return createCsr({ privateKey: signer.privateKey, publicKey: named.publicKey });
};

describe('DataplaneHub: limits where an identity is at stake', () => {
  const w = HubWorld.perTest();

  it('refuses rotations of a certificate not yet due or no longer held, however often replayed; rotates a due one once', async () => {
    const { observer, seen } = recordingObserver();
    const log = jest.fn();
    const hub = w.makeHub('cp-1@boot-1', undefined, undefined, { observer, log });
    const { dp } = await w.connectAnswering(hub);
    const { serial, rotateAt } = dp.identities()[0]!;
    const replay = async (n: number, named = serial) =>
      (
        await Promise.all(
          Array.from({ length: n }, () =>
            hub.rotate({ mesh: 'default', dataplane: 'web-1', serial: named, reason: 'rotation' }),
          ),
        )
      ).map((o) => o.status);

    expect(new Set(await replay(300))).toEqual(new Set(['not-due']));
    expect(dp.identities()).toHaveLength(1);
    expect(seen.rotationRefused).toEqual(Array(300).fill('not-due'));
    // Logged, but not 300 times: a replay must not flood the log either.
    const refusals = log.mock.calls.filter(([, m]) => /rotation of certificate .* refused/.test(m as string));
    expect(refusals).toEqual([['warn', expect.stringContaining(`not due before ${rotateAt}`)]]);

    clock.set(rotateAt);
    const due = await replay(50);
    expect(due.filter((s) => s === 'rotated')).toHaveLength(1);
    expect(due.filter((s) => s === 'stale')).toHaveLength(49);
    expect(await replay(10, 'ffff')).toEqual(Array(10).fill('stale'));
    expect(w.issued).toEqual(['new', 'rotation']);
    expect(dp.identities()).toHaveLength(2);
  });

  it('refuses a stream beyond the dataplane’s issuance rate, leaving the stream it has alone', async () => {
    const { observer, seen } = recordingObserver();
    const hub = w.makeHub('cp-1@boot-1', undefined, undefined, {
      observer,
      issuanceLimit: { perMinute: 6, burst: 2 },
    });
    const first = new FakeDataplane();
    await hub.connect(first, w.hello('web-1', 'session-aaaa'));
    const second = new FakeDataplane();
    await hub.connect(second, w.hello('web-1', 'session-bbbb'));
    expect(first.closed?.reason).toBe('replaced');
    // A sidecar restarting in a loop: its third stream within the burst is refused.
    const third = new FakeDataplane();
    await expect(hub.connect(third, w.hello('web-1', 'session-cccc'))).rejects.toMatchObject({
      status: StreamStatus.ResourceExhausted,
      reason: 'rate-limited',
      message:
        'dataplane "web-1" of mesh "default" was issued as many certificates as it may be for now (6 a minute, 2 at once): connect again in 10 s',
    });
    expect(second.closed).toBeUndefined();
    expect(third.received).toEqual([]);
    expect(seen.limited).toEqual([{ mesh: 'default', reason: 'restart', outcome: 'refused' }]);
    // Another dataplane has its own rate.
    await hub.connect(new FakeDataplane(), w.hello('api-1', 'session-dddd', { dataplane: dataplane('api') }));
    clock.advance(10_000);
    const fourth = new FakeDataplane();
    await hub.connect(fourth, w.hello('web-1', 'session-eeee'));
    expect(fourth.identities()).toHaveLength(1);
    expect(w.issued).toEqual(['new', 'restart', 'new', 'restart']);
  });

  it('answers a due rotation beyond the rate "rate-limited", saying when to ask again', async () => {
    const hub = w.makeHub('cp-1@boot-1', 50, undefined, { issuanceLimit: { perMinute: 6, burst: 2 } });
    const dp = new FakeDataplane(); // never sends a CSR: every rotation fails, and the scheduler asks again
    await hub.connect(dp, w.hello());
    clock.set(dp.identities()[0]!.rotateAt);
    const rotate = () =>
      hub.rotate({
        mesh: 'default',
        dataplane: 'web-1',
        serial: dp.identities()[0]!.serial,
        reason: 'rotation',
      });
    expect(await rotate()).toMatchObject({ status: 'failed' });
    expect(await rotate()).toMatchObject({ status: 'failed' });
    expect(await rotate()).toEqual({
      status: 'rate-limited',
      detail: expect.stringContaining('(6 a minute, 2 at once)'),
      retryAfterMs: 10_000,
    });
    // Two rotations were tried (each asked for a CSR), the third not.
    expect(dp.received.filter((m) => m.type === 'csr-request')).toHaveLength(2);
  });

  it('delays the re-issue a mesh change asks for until the rate allows it, waiting once, not spinning', async () => {
    const { observer, seen } = recordingObserver();
    const waits: number[] = [];
    const hub = w.makeHub('cp-1@boot-1', undefined, undefined, {
      observer,
      issuanceLimit: { perMinute: 6, burst: 1 },
      sleep: async (ms) => {
        waits.push(ms);
        clock.advance(ms);
      },
    });
    const { dp } = await w.connectAnswering(hub);
    await w.putMesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1', '2d')] });
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    expect(dp.identities()[1]!.reason).toBe('mesh-change');
    expect(waits).toEqual([10_000]);
    expect(seen.limited).toEqual([{ mesh: 'default', reason: 'mesh-change', outcome: 'delayed' }]);
  });

  it('tells the older stream of a dataplane it was replaced, and announces its end as replaced', async () => {
    const events: PayloadOf<typeof dataplaneConnection>[] = [];
    const sub = w.bus.subscribe(dataplaneConnection, (e) => void events.push(e));
    const hub = w.makeHub('cp-1@boot-1');
    const older = new FakeDataplane();
    const first = await hub.connect(older, w.hello('web-1', 'session-aaaa'));
    await hub.connect(new FakeDataplane(), w.hello('web-1', 'session-bbbb'));
    expect(older.closed).toEqual({
      status: StreamStatus.Aborted,
      message: 'replaced by a newer stream of the same dataplane',
      reason: 'replaced',
    });
    await eventually(() =>
      expect(events.filter((e) => e.kind === 'disconnected')).toEqual([
        expect.objectContaining({ streamId: first.streamId, endReason: 'replaced' }),
      ]),
    );
    await sub.unsubscribe();
  });

  it('answers a CSR whose signature does not verify INVALID_ARGUMENT "csr-refused", at connect and at rotation', async () => {
    const hub = w.makeHub('cp-1@boot-1');
    await expect(
      hub.connect(new FakeDataplane(), w.hello('web-1', 'session-aaaa', { csrPem: forgedCsr() })),
    ).rejects.toMatchObject({
      status: StreamStatus.InvalidArgument,
      reason: 'csr-refused',
      message: 'CSR refused: the CSR signature does not verify with its public key',
    });
    // Answering a rotation's CSR request with one: the stream ends the same way, the certificate stays.
    const dp = new FakeDataplane();
    const session = await hub.connect(dp, w.hello('web-1', 'session-bbbb'));
    answerCsrs(hub, dp, session, forgedCsr);
    const { serial, rotateAt } = dp.identities()[0]!;
    clock.set(rotateAt);
    expect(await hub.rotate({ mesh: 'default', dataplane: 'web-1', serial, reason: 'rotation' })).toEqual({
      status: 'failed',
      detail: 'CSR refused: the CSR signature does not verify with its public key',
    });
    expect(dp.closed).toMatchObject({ status: StreamStatus.InvalidArgument, reason: 'csr-refused' });
    expect((await w.leases.get('default', 'web-1'))!.serial).toBe(serial);
  });

  it('maps the refusal of a CSR by a ca-signer across the bus the same way', async () => {
    const hub = w.makeHub('cp-2@boot-1', undefined, undefined, {
      issuer: {
        issue: () =>
          Promise.reject(
            new RemoteError('csr.invalid', 'the CSR signature does not verify with its public key'),
          ),
        trustBundle: async () => [],
      },
    });
    await expect(hub.connect(new FakeDataplane(), w.hello())).rejects.toMatchObject({
      status: StreamStatus.InvalidArgument,
      reason: 'csr-refused',
    });
  });

  it('reports a traffic message too large for its schema once, keeps the stream, and sends again once it fits', async () => {
    const { observer, seen } = recordingObserver();
    const log = jest.fn();
    const hub = w.makeHub('cp-1@boot-1', undefined, 10, { observer, log });
    const allowTo = (name: string, service = 'web') =>
      w.store.create(
        { type: ResourceType.MeshTrafficPermission, mesh: 'default', name },
        {
          targetRef: { kind: 'MeshService', name: service },
          from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
        },
      );
    for (let i = 0; i < MAX_TRAFFIC_PERMISSIONS; i++) await allowTo(`p-${i}`);
    const web = new FakeDataplane();
    await hub.connect(web, w.hello());
    expect(web.traffic()!.permissions).toHaveLength(MAX_TRAFFIC_PERMISSIONS);
    const api = new FakeDataplane();
    await hub.connect(
      api,
      w.hello('api-1', 'session-bbbb', {
        dataplane: {
          networking: { address: '10.0.0.9', inbound: [{ port: 80, tags: { 'kuma.io/service': 'api' } }] },
        },
      }),
    );
    const sentToWeb = web.received.length;

    await allowTo('one-too-many');
    await eventually(() => expect(seen.trafficRefused).toBe(1));
    expect(hub.trafficWithheld).toBe(1);
    expect(log).toHaveBeenCalledWith(
      'warn',
      expect.stringMatching(
        /^default\/web-1: traffic message not sent: it does not match its schema \(permissions: .*10000/,
      ),
    );
    // A change reaching every dataplane of the mesh leaves web-1's message as it was: not reported again.
    await allowTo('to-api', 'api');
    await eventually(() => expect(api.traffic()!.permissions.map((p) => p.name)).toEqual(['to-api']));
    expect(seen.trafficRefused).toBe(1);
    expect(web.received).toHaveLength(sentToWeb);
    expect(web.closed).toBeUndefined();
    expect(w.issued).toEqual(['new', 'new']);

    await w.store.delete({ type: ResourceType.MeshTrafficPermission, mesh: 'default', name: 'p-0' });
    await eventually(() => expect(web.received.length).toBeGreaterThan(sentToWeb));
    expect(web.traffic()!.permissions).toHaveLength(MAX_TRAFFIC_PERMISSIONS);
    expect(hub.trafficWithheld).toBe(0);
  });
});
