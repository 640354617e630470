import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { OpensslWorkspace, eventually } from '@meshtls/testing';
import { InboundListener, type InboundRefusal } from './inbound-listener';
import { connectMeshTls, type MeshTlsMaterial, type VerifiedSession } from './mesh-tls';
import { intermediateIdentities, leafOf, meshIdentities } from './mesh-identities.test-support';
import { OutboundListener } from './outbound-listener';

const ssl = new OpensslWorkspace();
const ca1 = ssl.makeCa('ca-1', { keyType: 'ec' });
const ca2 = ssl.makeCa('ca-2', { keyType: 'ec' });
const fromCa1 = meshIdentities(ca1);
const fromCa2 = meshIdentities(ca2);
const { identity: viaIntermediate } = intermediateIdentities(ssl);
afterAll(() => ssl.close());

/** An application echoing what it gets. */
async function echoApp(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('data', (d: Buffer) => s.write(d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Connects as `client`, offering `resume`; resolves what the connection did, never rejects. */
function exchange(
  port: number,
  client: MeshTlsMaterial,
  resume?: VerifiedSession,
): Promise<{ answer: string; resumed: boolean; error?: string; session?: VerifiedSession }> {
  return new Promise((resolve) => {
    let session: VerifiedSession | undefined;
    let answer = '';
    let resumed = false;
    let error: string | undefined;
    const socket: TLSSocket = connectMeshTls({
      host: '127.0.0.1',
      port,
      mesh: 'm',
      service: 'backend',
      context: createSecureContext({
        cert: client.certChainPem,
        key: client.keyPem,
        ca: client.trustBundlePem,
      }),
      ...(resume ? { resume } : {}),
      onSession: (s) => (session = s),
    });
    socket.once('secureConnect', () => {
      resumed = socket.isSessionReused();
      if (!socket.destroyed) socket.write('ping');
    });
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (resumed) return void socket.end();
      // TLS 1.3 tickets come after the handshake: wait for one before closing.
      void eventually(() => expect(session).toBeDefined(), 5_000)
        .catch(() => undefined)
        .then(() => socket.end());
    });
    socket.on('error', (e) => (error = e.message));
    socket.on('close', () =>
      resolve({ answer, resumed, ...(error ? { error } : {}), ...(session ? { session } : {}) }),
    );
  });
}

describe('TLS session resumption between an outbound and an inbound', () => {
  let app: Awaited<ReturnType<typeof echoApp>>;
  let server: MeshTlsMaterial;
  let listener: InboundListener;
  let port: number;
  const allowed = new Set(['spiffe://m/web']);
  const refused: InboundRefusal[] = [];
  const forwarded: boolean[] = [];

  beforeAll(async () => {
    app = await echoApp();
    server = fromCa1('backend');
    listener = new InboundListener({
      address: '127.0.0.1',
      port: 0,
      forwardTo: { host: '127.0.0.1', port: app.port },
      mode: () => 'STRICT',
      material: () => server,
      authorize: (uris) =>
        uris.some((u) => allowed.has(u))
          ? { allowed: true, rule: 'allow web' }
          : { allowed: false, rule: 'MeshTrafficPermission "deny-web" from[0]: Deny' },
      onRefused: (e) => refused.push(e),
      onForwarded: (_kind, resumed) => forwarded.push(resumed),
    });
    port = await listener.listen();
  });

  afterAll(async () => {
    await listener.close();
    app.server.close();
  });

  beforeEach(() => {
    refused.length = 0;
    forwarded.length = 0;
    allowed.clear();
    allowed.add('spiffe://m/web');
  });

  it('resumes a verified session, and the inbound forwards it as resumed', async () => {
    const web = fromCa1('web');
    const first = await exchange(port, web);
    expect(first).toMatchObject({ answer: 'ping', resumed: false });
    expect(first.session).toMatchObject({ identity: 'spiffe://m/backend' });
    const second = await exchange(port, web, first.session);
    expect(second).toMatchObject({ answer: 'ping', resumed: true });
    expect(forwarded).toEqual([false, true]);
  });

  it('keeps the session without its copy of the upstream certificate, and resumes with it', async () => {
    const web = fromCa1('web');
    const first = await exchange(port, web);
    expect(first.session!.session.includes(leafOf(server).raw)).toBe(false);
    const second = await exchange(port, web, first.session);
    expect(second).toMatchObject({ answer: 'ping', resumed: true });
    expect(forwarded).toEqual([false, true]);
  });

  it('refuses a resumed session whose client MeshTrafficPermission now denies', async () => {
    const web = fromCa1('web');
    const first = await exchange(port, web);
    allowed.clear();
    const again = await exchange(port, web, first.session);
    expect(again).toMatchObject({ answer: '', resumed: true });
    expect(refused).toEqual([
      expect.objectContaining({
        kind: 'not-allowed',
        reason: 'MeshTrafficPermission "deny-web" from[0]: Deny',
        client: ['spiffe://m/web'],
      }),
    ]);
  });

  it('refuses a resumed session whose client certificate has expired since', async () => {
    const web = fromCa1('web', undefined, 2_000);
    const first = await exchange(port, web);
    expect(first.answer).toBe('ping');
    const expiry = Date.parse(leafOf(web).validTo);
    await eventually(() => expect(Date.now()).toBeGreaterThan(expiry + 1_000), 10_000);
    const again = await exchange(port, web, first.session);
    expect(again).toMatchObject({ answer: '', resumed: true });
    expect(refused).toEqual([
      expect.objectContaining({
        kind: 'handshake',
        reason: expect.stringMatching(/^resumed session: the peer certificate expired at /),
      }),
    ]);
  });

  it('a new certificate of the inbound invalidates every ticket: the next connection is a full handshake', async () => {
    const web = fromCa1('web');
    const first = await exchange(port, web);
    server = fromCa1('backend');
    const afterRotation = await exchange(port, web, first.session);
    expect(afterRotation).toMatchObject({ answer: 'ping', resumed: false });
    expect(await exchange(port, web, afterRotation.session)).toMatchObject({ answer: 'ping', resumed: true });
  });

  it('a CA removed from the inbound bundle: the old session is not resumed and its client is refused', async () => {
    const web = fromCa1('web');
    const first = await exchange(port, web);
    expect(first.answer).toBe('ping');
    const switched = fromCa2('backend');
    server = { ...switched, trustBundlePem: ca2.certPem };
    const again = await exchange(port, { ...web, trustBundlePem: ca1.certPem + ca2.certPem }, first.session);
    expect(again).toMatchObject({ answer: '', resumed: false });
    expect(refused[0]).toMatchObject({ kind: 'handshake', reason: expect.stringMatching(/^handshake: /) });
    server = fromCa1('backend');
  });

  it('the client refuses a resumed session past the upstream certificate expiry it recorded', async () => {
    const web = fromCa1('web');
    const first = await exchange(port, web);
    const stale = { ...first.session!, notAfter: Date.now() - 1 };
    const again = await exchange(port, web, stale);
    expect(again.answer).toBe('');
    expect(again.error).toMatch(/^upstream resumed a session of a certificate that expired at /);
    const foreign = { ...first.session!, identity: 'spiffe://m/payments' };
    expect((await exchange(port, web, foreign)).error).toBe(
      'upstream resumed a session not verified as spiffe://m/backend',
    );
  });

  function call(outboundPort: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket: Socket = netConnect(outboundPort, '127.0.0.1', () => socket.write('hi'));
      socket.on('data', (d: Buffer) => (resolve(d.toString()), socket.end()));
      socket.on('error', reject);
      socket.on('close', () => resolve(''));
    });
  }

  async function outboundResumptions(sessionResumption: boolean, client: () => MeshTlsMaterial) {
    const resumed: boolean[] = [];
    const outbound = new OutboundListener({
      port: 0,
      mesh: 'm',
      service: 'backend',
      endpoints: () => [{ address: '127.0.0.1', port, mtls: true }],
      material: client,
      onForwarded: (_upstream, _mtls, r) => resumed.push(r),
      sessionResumption,
    });
    const outboundPort = await outbound.listen();
    return {
      resumed,
      call: async () => {
        expect(await call(outboundPort)).toBe('hi');
        // The next call may resume only once a ticket has arrived: the inbound has forwarded the call.
        await eventually(() => expect(forwarded.length).toBe(resumed.length), 5_000);
      },
      close: () => outbound.close(),
    };
  }

  it('the outbound keeps a session per endpoint, and drops them with its own new certificate', async () => {
    let web = fromCa1('web');
    const outbound = await outboundResumptions(true, () => web);
    try {
      await outbound.call();
      await eventually(async () => {
        await outbound.call();
        expect(outbound.resumed.at(-1)).toBe(true);
      }, 5_000);
      web = fromCa1('web');
      await outbound.call();
      expect(outbound.resumed.at(-1)).toBe(false);
      expect(outbound.resumed[0]).toBe(false);
      expect(forwarded).toEqual(outbound.resumed);
    } finally {
      await outbound.close();
    }
  });

  it('without resumption every connection is a full handshake', async () => {
    const web = fromCa1('web');
    const outbound = await outboundResumptions(false, () => web);
    try {
      for (let i = 0; i < 3; i++) await outbound.call();
      expect(outbound.resumed).toEqual([false, false, false]);
    } finally {
      await outbound.close();
    }
  });
});

describe('resumption through an inbound whose clients come with an intermediate CA (a provided CA)', () => {
  it('resumes, the chain verified in the full handshake standing for the resumed one', async () => {
    const app = await echoApp();
    const server = viaIntermediate('backend');
    const refused: InboundRefusal[] = [];
    const listener = new InboundListener({
      address: '127.0.0.1',
      port: 0,
      forwardTo: { host: '127.0.0.1', port: app.port },
      mode: () => 'STRICT',
      material: () => server,
      authorize: () => ({ allowed: true, rule: 'allow all' }),
      onRefused: (e) => refused.push(e),
    });
    const port = await listener.listen();
    try {
      const web = viaIntermediate('web');
      const first = await exchange(port, web);
      expect(first).toMatchObject({ answer: 'ping', resumed: false });
      expect(await exchange(port, web, first.session)).toMatchObject({ answer: 'ping', resumed: true });
      expect(refused).toEqual([]);
    } finally {
      await listener.close();
      app.server.close();
    }
  });
});
