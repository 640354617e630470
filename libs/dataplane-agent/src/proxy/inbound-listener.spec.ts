import { createPrivateKey } from 'node:crypto';
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { OpensslWorkspace, eventually } from '@meshtls/testing';
import { InboundListener, type InboundMode } from './inbound-listener';
import { connectMeshTls, peerCertificate, type MeshTlsMaterial } from './mesh-tls';
import { meshIdentities } from './mesh-identities.test-support';

const ssl = new OpensslWorkspace();
afterAll(() => ssl.close());

function meshCa(name: string) {
  const ca = ssl.makeCa(name, { keyType: 'ec' });
  return { ca, identity: meshIdentities(ca) };
}

/** The application: echoes and records what reached it. */
async function echoApp(): Promise<{ server: Server; port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((s) => s.on('data', (d: Buffer) => (received.push(d), s.write(d))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, received };
}

function roundTrip(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (d: Buffer) => resolve(d.toString()));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed')));
    socket.write(text);
  });
}

function closedWithoutData(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    let data = false;
    socket.on('data', () => (data = true));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(!data));
  });
}

describe('InboundListener', () => {
  const mesh = meshCa('mesh-ca');
  const foreign = meshCa('foreign-ca');
  let app: Awaited<ReturnType<typeof echoApp>>;
  let listener: InboundListener;
  let port: number;
  let mode: InboundMode;
  let server: MeshTlsMaterial;
  const refused: { reason: string; client: readonly string[] }[] = [];
  const allowedClients = new Set(['spiffe://m/web']);

  beforeAll(async () => {
    app = await echoApp();
    server = mesh.identity('backend', 's1');
    listener = new InboundListener({
      address: '127.0.0.1',
      port: 0,
      forwardTo: { host: '127.0.0.1', port: app.port },
      mode: () => mode,
      material: () => server,
      authorize: (uris) =>
        uris.some((u) => allowedClients.has(u))
          ? { allowed: true, rule: 'allow-web' }
          : { allowed: false, rule: 'no MeshTrafficPermission allows it' },
      onRefused: (e) => refused.push(e),
      sniffTimeoutMs: 100,
    });
    port = await listener.listen();
  });

  afterAll(async () => {
    await listener.close();
    app.server.close();
  });

  beforeEach(() => {
    mode = 'STRICT';
    refused.length = 0;
    app.received.length = 0;
  });

  const meshClient = (material: MeshTlsMaterial, service = 'backend') =>
    connectMeshTls({
      host: '127.0.0.1',
      port,
      mesh: 'm',
      service,
      context: createSecureContext({
        cert: material.certChainPem,
        key: material.keyPem,
        ca: material.trustBundlePem,
      }),
    });

  it('STRICT: lets an allowed mesh identity through to the application, checking the server is backend', async () => {
    const socket = meshClient(mesh.identity('web'));
    expect(await roundTrip(socket, 'hello')).toBe('hello');
    socket.destroy();
  });

  it('STRICT: refuses plaintext before anything reaches the application', async () => {
    const socket = netConnect(port, '127.0.0.1');
    const closed = closedWithoutData(socket);
    socket.write('GET / HTTP/1.1\r\n\r\n');
    expect(await closed).toBe(true);
    expect(app.received).toEqual([]);
    expect(refused[0]).toMatchObject({ kind: 'handshake', reason: expect.stringMatching(/handshake/) });
  });

  it('refuses an identity no permission allows, saying which rule decided, and a foreign CA', async () => {
    const api = meshClient(mesh.identity('api'));
    await expect(roundTrip(api, 'x')).rejects.toThrow();
    expect(refused).toEqual([
      {
        kind: 'not-allowed',
        reason: 'no MeshTrafficPermission allows it',
        client: ['spiffe://m/api'],
        remote: expect.any(String),
      },
    ]);
    const stranger = meshClient({ ...foreign.identity('web'), trustBundlePem: mesh.ca.certPem });
    await expect(roundTrip(stranger, 'x')).rejects.toThrow();
    expect(refused.length).toBeGreaterThanOrEqual(2); // the foreign certificate failed the handshake
    expect(app.received).toEqual([]);
  });

  it('the client refuses an upstream that is not the service it asked for', async () => {
    const socket = meshClient(mesh.identity('web'), 'payments');
    await expect(roundTrip(socket, 'x')).rejects.toThrow(/upstream is not spiffe:\/\/m\/payments/);
  });

  it('PERMISSIVE: passes plaintext and foreign TLS through untouched, still terminates mesh mTLS', async () => {
    mode = 'PERMISSIVE';
    const plain = netConnect(port, '127.0.0.1');
    expect(await roundTrip(plain, 'plain')).toBe('plain');
    plain.destroy();
    const appTls = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    appTls.on('error', () => undefined);
    // Its ClientHello reaches the application untouched (the listener answers nothing itself).
    await eventually(() => expect(app.received.some((d) => d[0] === 0x16)).toBe(true), 10_000);
    appTls.destroy();
    const meshed = meshClient(mesh.identity('web'));
    expect(await roundTrip(meshed, 'meshed')).toBe('meshed');
    meshed.destroy();
  });

  it('swaps to a rotated certificate for new handshakes without dropping open connections', async () => {
    const before = meshClient(mesh.identity('web'));
    expect(await roundTrip(before, 'one')).toBe('one');
    const firstSerial = peerCertificate(before)?.serialNumber;
    server = mesh.identity('backend', 's2');
    const after = meshClient(mesh.identity('web'));
    expect(await roundTrip(after, 'two')).toBe('two');
    expect(firstSerial).toBeDefined();
    expect(peerCertificate(after)?.serialNumber).not.toBe(firstSerial);
    expect(await roundTrip(before, 'still open')).toBe('still open');
    before.destroy();
    after.destroy();
    expect(createPrivateKey(server.keyPem).asymmetricKeyType).toBe('ec');
  });
});
