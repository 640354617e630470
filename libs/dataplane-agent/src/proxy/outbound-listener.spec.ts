import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { OpensslWorkspace } from '@meshtls/testing';
import { InboundListener } from './inbound-listener';
import { meshIdentities } from './mesh-identities.test-support';
import { OutboundListener, type UpstreamEndpoint } from './outbound-listener';

const ssl = new OpensslWorkspace();
const ca = ssl.makeCa('mesh', { keyType: 'ec' });
const identity = meshIdentities(ca);
afterAll(() => ssl.close());

/** An application answering with its own name, behind a STRICT inbound of the given service. */
async function upstream(name: string, service: string) {
  const app: Server = createServer((s) => s.on('data', () => s.end(name)));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const material = identity(service);
  const inbound = new InboundListener({
    address: '127.0.0.1',
    port: 0,
    forwardTo: { host: '127.0.0.1', port: (app.address() as AddressInfo).port },
    mode: () => 'STRICT',
    material: () => material,
    authorize: (uris) => ({ allowed: uris.includes('spiffe://m/web'), rule: 'test' }),
  });
  const port = await inbound.listen();
  return { port, close: async () => (await inbound.close(), app.close()) };
}

function call(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = netConnect(port, '127.0.0.1', () => socket.write('hi'));
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
  });
}

describe('OutboundListener', () => {
  it('spreads connections over the endpoints over mTLS, skipping a dead one and an impostor', async () => {
    const a = await upstream('a', 'backend');
    const b = await upstream('b', 'backend');
    const impostor = await upstream('impostor', 'payments');
    const dead = await upstream('dead', 'backend');
    await dead.close();
    const endpoints: UpstreamEndpoint[] = [a, dead, impostor, b].map((u) => ({
      address: '127.0.0.1',
      port: u.port,
      mtls: true,
    }));
    const errors: string[] = [];
    const outbound = new OutboundListener({
      port: 0,
      mesh: 'm',
      service: 'backend',
      endpoints: () => endpoints,
      material: () => identity('web'),
      onError: (m) => errors.push(m),
    });
    const port = await outbound.listen();
    try {
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await call(port));
      expect(new Set(answers)).toEqual(new Set(['a', 'b']));
      expect(errors.some((e) => /ECONNREFUSED/.test(e))).toBe(true);
      expect(errors.some((e) => /upstream is not spiffe:\/\/m\/backend/.test(e))).toBe(true);
    } finally {
      await outbound.close();
      await Promise.all([a.close(), b.close(), impostor.close()]);
    }
  });

  it('closes the connection when no endpoint is there', async () => {
    const outbound = new OutboundListener({
      port: 0,
      mesh: 'm',
      service: 'backend',
      endpoints: () => [],
      material: () => identity('web'),
    });
    const port = await outbound.listen();
    expect(await call(port)).toBe('');
    await outbound.close();
  });
});
