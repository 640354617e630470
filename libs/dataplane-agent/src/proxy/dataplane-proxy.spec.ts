import { EventEmitter } from 'node:events';
import { createServer, connect as netConnect, type AddressInfo, type Server } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { DataplaneTrafficMessage } from '@meshtls/contracts';
import { OpensslWorkspace, eventually, freePort } from '@meshtls/testing';
import type { DataplaneAgent } from '../dataplane-agent';
import type { AgentEvents } from '../dataplane-agent.options';
import type { DataplaneIdentity } from '../identity';
import { DataplaneProxy, type RefusalEvent } from './dataplane-proxy';
import { connectMeshTls } from './mesh-tls';
import { meshIdentities } from './mesh-identities.test-support';

const ssl = new OpensslWorkspace();
const ca = ssl.makeCa('mesh', { keyType: 'ec' });
const identity = meshIdentities(ca);
afterAll(() => ssl.close());

/** What the proxy reads of the agent: its identity, whether mTLS is off, and traffic messages. */
class FakeAgent extends EventEmitter<AgentEvents> {
  identity?: DataplaneIdentity;
  mtlsDisabled = false;
  traffic?: DataplaneTrafficMessage;

  holds(service: string, mode: 'STRICT' | 'PERMISSIVE' = 'STRICT'): void {
    const m = identity(service);
    this.identity = {
      certPem: m.certChainPem,
      chainPem: '',
      keyPem: m.keyPem,
      serial: m.serial,
      notBefore: '',
      notAfter: '',
      rotateAt: '',
      backend: 'ca-1',
      supportedBackends: ['ca-1'],
      trustBundlePem: m.trustBundlePem,
      mode,
      uris: [`spiffe://m/${service}`],
      reason: 'new',
    };
  }

  send(traffic: Omit<DataplaneTrafficMessage, 'type'>): void {
    this.traffic = { type: 'traffic', ...traffic };
    this.emit('traffic', this.traffic);
  }
}

async function app(name: string): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.on('data', () => s.end(name)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, server };
}

/** One exchange as a mesh client `web` would make it; resolves what came back ('' when refused). */
function meshCall(port: number, service: string): Promise<string> {
  const web = identity('web');
  return new Promise((resolve) => {
    const socket = connectMeshTls({
      host: '127.0.0.1',
      port,
      mesh: 'm',
      service,
      context: createSecureContext({ cert: web.certChainPem, key: web.keyPem, ca: ca.certPem }),
    });
    let data = '';
    socket.on('secureConnect', () => socket.write('hi'));
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(data));
  });
}

describe('DataplaneProxy', () => {
  it('opens, keeps, moves and closes listeners as the traffic message changes, and decides permissions', async () => {
    const agent = new FakeAgent();
    agent.holds('backend');
    const proxy = new DataplaneProxy(agent as unknown as DataplaneAgent, { mesh: 'm', name: 'backend-1' });
    const refused: RefusalEvent[] = [];
    proxy.on('refused', (e) => refused.push(e));
    const [one, two] = [await app('one'), await app('two')];
    const [inbound, outbound] = [await freePort(), await freePort()];
    const spec = (servicePort: number, outbounds: { port: number; service: string }[] = []) => ({
      networking: {
        address: '127.0.0.1',
        inbound: [{ port: inbound, servicePort, tags: { 'kuma.io/service': 'backend' } }],
        outbound: outbounds.map((o) => ({ port: o.port, tags: { 'kuma.io/service': o.service } })),
      },
    });
    const allowWeb = {
      name: 'allow-web',
      spec: {
        targetRef: { kind: 'Mesh' },
        from: [{ targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } }],
      },
    };
    try {
      agent.send({ dataplane: spec(one.port), permissions: [], endpoints: [] });
      await proxy.settled();
      expect(proxy.openListeners()).toEqual({ inbound: { [`backend:${inbound}`]: inbound }, outbound: {} });
      // Deny by default, then the permission arriving applies to the next connection.
      expect(await meshCall(inbound, 'backend')).toBe('');
      expect(refused[0]).toMatchObject({
        inbound: `backend:${inbound}`,
        kind: 'not-allowed',
        client: ['spiffe://m/web'],
        reason: 'no MeshTrafficPermission allows it (deny by default)',
      });
      agent.send({ dataplane: spec(one.port), permissions: [allowWeb], endpoints: [] });
      await proxy.settled();
      expect(await meshCall(inbound, 'backend')).toBe('one');
      // The application moves to another port: the inbound is re-opened in front of it.
      agent.send({
        dataplane: spec(two.port, [{ port: outbound, service: 'db' }]),
        permissions: [allowWeb],
        endpoints: [{ service: 'db', endpoints: [] }],
      });
      await proxy.settled();
      expect(await meshCall(inbound, 'backend')).toBe('two');
      expect(proxy.openListeners().outbound).toEqual({ [`db:${outbound}`]: outbound });
      // An outbound no longer listed is closed.
      agent.send({ dataplane: spec(two.port), permissions: [allowWeb], endpoints: [] });
      await proxy.settled();
      expect(proxy.openListeners().outbound).toEqual({});
      await eventually(
        () =>
          new Promise<void>((resolve, reject) => {
            const s = netConnect(outbound, '127.0.0.1');
            s.on('connect', () => (s.destroy(), reject(new Error('still listening'))));
            s.on('error', () => resolve());
          }),
      );
    } finally {
      await proxy.close();
      one.server.close();
      two.server.close();
    }
  });

  it('selects its inbounds by the Dataplane labels and the inbound names of the latest message', async () => {
    const agent = new FakeAgent();
    agent.holds('backend');
    const proxy = new DataplaneProxy(agent as unknown as DataplaneAgent, { mesh: 'm', name: 'backend-1' });
    const refused: RefusalEvent[] = [];
    proxy.on('refused', (e) => refused.push(e));
    const backendApp = await app('backend');
    const [http, admin] = [await freePort(), await freePort()];
    const dataplane = (labels: Record<string, string>, adminName: string) => ({
      labels,
      networking: {
        address: '127.0.0.1',
        inbound: [
          { port: http, servicePort: backendApp.port, tags: { 'kuma.io/service': 'backend' } },
          {
            port: admin,
            name: adminName,
            servicePort: backendApp.port,
            tags: { 'kuma.io/service': 'backend' },
          },
        ],
      },
    });
    const allowFromMesh = (name: string, targetRef: object) => ({
      name,
      spec: { targetRef, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] },
    });
    const permissions = [
      allowFromMesh('core', { kind: 'Dataplane', labels: { team: 'core' } }),
      allowFromMesh('admin', { kind: 'Dataplane', name: 'backend-1', sectionName: 'admin' }),
    ];
    try {
      agent.send({ dataplane: dataplane({ team: 'core' }, 'admin'), permissions, endpoints: [] });
      await proxy.settled();
      expect([await meshCall(http, 'backend'), await meshCall(admin, 'backend')]).toEqual([
        'backend',
        'backend',
      ]);
      // Labels and inbound names change under open listeners: the next connections see the new ones.
      agent.send({ dataplane: dataplane({ team: 'edge' }, 'metrics'), permissions, endpoints: [] });
      await proxy.settled();
      expect([await meshCall(http, 'backend'), await meshCall(admin, 'backend')]).toEqual(['', '']);
      agent.send({ dataplane: dataplane({ team: 'edge' }, 'admin'), permissions, endpoints: [] });
      await proxy.settled();
      expect([await meshCall(http, 'backend'), await meshCall(admin, 'backend')]).toEqual(['', 'backend']);
      expect(refused.map((e) => e.inbound)).toEqual([
        `backend:${http}`,
        `backend:${admin}`,
        `backend:${http}`,
      ]);
    } finally {
      await proxy.close();
      backendApp.server.close();
    }
  });

  it('reports a port it cannot bind and keeps serving the others', async () => {
    const agent = new FakeAgent();
    agent.holds('backend');
    const proxy = new DataplaneProxy(agent as unknown as DataplaneAgent, { mesh: 'm', name: 'backend-1' });
    const errors: string[] = [];
    proxy.on('listenerError', (e) => errors.push(`${e.listener}: ${e.message}`));
    const taken = await app('taken');
    const free = await freePort();
    try {
      agent.send({
        dataplane: {
          networking: {
            address: '127.0.0.1',
            inbound: [
              { port: taken.port, tags: { 'kuma.io/service': 'backend' } },
              { port: free, servicePort: taken.port, tags: { 'kuma.io/service': 'backend-admin' } },
            ],
          },
        },
        permissions: [],
        endpoints: [],
      });
      await proxy.settled();
      expect(errors).toEqual([
        expect.stringMatching(new RegExp(`inbound backend:${taken.port}: .*EADDRINUSE`)),
      ]);
      expect(proxy.openListeners().inbound).toEqual({ [`backend-admin:${free}`]: free });
    } finally {
      await proxy.close();
      taken.server.close();
    }
  });
});
