import { eventually } from '@meshtls/testing';
import { ResourceType } from '@meshtls/domain';
import { FakeDataplane, HubWorld, builtin } from './dataplane-hub.test-support';

describe('DataplaneHub traffic messages', () => {
  const w = HubWorld.perTest();

  const withOutbound = (service: string, outbound: string, address: string, port = 8080) => ({
    networking: {
      address,
      inbound: [{ port, tags: { 'kuma.io/service': service } }],
      outbound: [{ port: 10001, tags: { 'kuma.io/service': outbound } }],
    },
  });
  const permission = (name: string, target: string, from: string, action = 'Allow') =>
    w.store.create(
      { type: ResourceType.MeshTrafficPermission, mesh: 'default', name },
      {
        targetRef: { kind: 'MeshService', name: target },
        from: [{ targetRef: { kind: 'MeshService', name: from }, default: { action } }],
      },
    );

  it('sends each dataplane its resource, the permissions selecting it and its upstreams, then every change', async () => {
    const hub = w.makeHub('cp-1@boot-1', undefined, 10);
    await permission('backend-from-web', 'backend', 'web');
    await permission('db-from-backend', 'db', 'backend');
    const web = new FakeDataplane();
    await hub.connect(
      web,
      w.hello('web-1', 'session-aaaa', { dataplane: withOutbound('web', 'backend', '10.0.0.1') }),
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
      w.hello('backend-1', 'session-bbbb', { dataplane: withOutbound('backend', 'db', '10.0.0.2', 9000) }),
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
    const record = await w.store.get({ type: ResourceType.Dataplane, mesh: 'default', name: 'backend-1' });
    await w.store.update(record!.meta, withOutbound('backend', 'db', '10.0.0.3', 9000), record!.meta.version);
    await eventually(() =>
      expect(web.traffic()!.endpoints[0]!.endpoints).toEqual([
        { address: '10.0.0.3', port: 9000, mtls: true },
      ]),
    );
    await w.store.delete({ type: ResourceType.Dataplane, mesh: 'default', name: 'backend-1' });
    await eventually(() => expect(web.traffic()!.endpoints[0]!.endpoints).toEqual([]));
  });

  it('in PERMISSIVE marks upstreams without a certificate for plaintext until one is issued on any replica', async () => {
    await w.putMesh({
      enabledBackend: 'ca-1',
      backends: [{ ...builtin('ca-1'), mode: 'PERMISSIVE' }],
    });
    await w.store.create(
      { type: ResourceType.Dataplane, mesh: 'default', name: 'backend-1' },
      withOutbound('backend', 'db', '10.0.0.2', 9000),
    );
    const hubA = w.makeHub('cp-1@boot-1', undefined, 10);
    const hubB = w.makeHub('cp-2@boot-1', undefined, 10);
    const web = new FakeDataplane();
    await hubA.connect(
      web,
      w.hello('web-1', 'session-aaaa', { dataplane: withOutbound('web', 'backend', '10.0.0.1') }),
    );
    expect(web.traffic()!.endpoints[0]!.endpoints).toEqual([
      { address: '10.0.0.2', port: 9000, mtls: false },
    ]);
    await hubB.connect(new FakeDataplane(), w.hello('backend-1', 'session-bbbb'));
    await eventually(() =>
      expect(web.traffic()!.endpoints[0]!.endpoints).toEqual([
        { address: '10.0.0.2', port: 9000, mtls: true },
      ]),
    );
  });
});
