import { X509Certificate } from 'node:crypto';
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { CA_EXTENSIONS, OpensslWorkspace, eventually } from '@meshtls/testing';
import { InboundListener, type InboundRefusal } from './inbound-listener';
import {
  connectMeshTls,
  ResumedPeerCheck,
  resumedPeerProblem,
  trustAnchors,
  type MeshTlsMaterial,
  type VerifiedSession,
} from './mesh-tls';
import { meshIdentities } from './mesh-identities.test-support';
import { OutboundListener } from './outbound-listener';
import { withoutPeerCertificate } from './tls-session';

const ssl = new OpensslWorkspace();
const ca1 = ssl.makeCa('ca-1', { keyType: 'ec' });
const ca2 = ssl.makeCa('ca-2', { keyType: 'ec' });
const fromCa1 = meshIdentities(ca1);
const fromCa2 = meshIdentities(ca2);
const root = ssl.makeCa('root', { keyType: 'ec' });
const intermediate = ssl.makeCa('intermediate', { keyType: 'ec', issuer: root, extensions: CA_EXTENSIONS });
/** Issued by an intermediate CA (sent with the leaf), trusting the root only: as a provided CA does. */
const viaIntermediate = (service: string): MeshTlsMaterial => ({
  ...meshIdentities({ certPem: intermediate.certPem + root.certPem, keyPem: intermediate.keyPem })(service),
  trustBundlePem: root.certPem,
});
afterAll(() => ssl.close());

const leafOf = (material: MeshTlsMaterial) => new X509Certificate(material.certChainPem);

describe('resumedPeerProblem (a resumed client certificate checked as a full handshake would now)', () => {
  const now = Date.now();

  it('accepts a valid certificate issued by a CA of the current bundle', () => {
    expect(resumedPeerProblem(leafOf(fromCa1('web')), trustAnchors(ca2.certPem + ca1.certPem), now)).toBe(
      undefined,
    );
  });

  it('refuses a certificate that has expired since the session was made', () => {
    const leaf = leafOf(fromCa1('web'));
    const later = Date.parse(leaf.validTo) + 1_000;
    expect(resumedPeerProblem(leaf, trustAnchors(ca1.certPem), later)).toBe(
      `the peer certificate expired at ${new Date(leaf.validTo).toISOString()}`,
    );
  });

  it('refuses a certificate not yet valid', () => {
    const leaf = leafOf(fromCa1('web'));
    expect(resumedPeerProblem(leaf, trustAnchors(ca1.certPem), Date.parse(leaf.validFrom) - 60_000)).toMatch(
      /^the peer certificate is not valid before /,
    );
  });

  it('refuses a certificate whose CA has left the bundle (a finished CA switch)', () => {
    expect(resumedPeerProblem(leafOf(fromCa1('web')), trustAnchors(ca2.certPem), now)).toBe(
      'the peer certificate was issued by a CA no longer in the trust bundle (O=meshtls tests, CN=ca-1)',
    );
  });

  it('refuses a resumed session that shows no certificate at all', () => {
    expect(resumedPeerProblem(undefined, trustAnchors(ca1.certPem), now)).toBe(
      'the resumed session shows no peer certificate',
    );
  });
});

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

describe('withoutPeerCertificate', () => {
  // An SSL_SESSION's first fields, then `[3]` (the peer certificate), then `[5]` (verify result).
  const session = (protocol: number[]) =>
    Buffer.from([
      0x30,
      0x12,
      0x02,
      0x01,
      0x01,
      0x02,
      0x02,
      ...protocol,
      0xa3,
      0x04,
      0x30,
      0x02,
      0x05,
      0x00,
      0xa5,
      0x03,
      0x02,
      0x01,
      0x00,
    ]);

  it('drops the peer certificate of a TLS 1.3 session, and nothing else', () => {
    expect(withoutPeerCertificate(session([0x03, 0x04]))).toEqual(
      Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04, 0xa5, 0x03, 0x02, 0x01, 0x00]),
    );
  });

  it('leaves a TLS 1.2 session, and bytes it does not understand, as they are', () => {
    const tls12 = session([0x03, 0x03]);
    expect(withoutPeerCertificate(tls12)).toBe(tls12);
    const truncated = session([0x03, 0x04]).subarray(0, 12);
    expect(withoutPeerCertificate(truncated)).toBe(truncated);
  });
});

describe('ResumedPeerCheck (the same rules, a certificate that passed remembered for its validity)', () => {
  it('answers as resumedPeerProblem, also for a certificate that passed before and has expired since', () => {
    const check = new ResumedPeerCheck(ca1.certPem);
    const leaf = leafOf(fromCa1('web'));
    expect(check.problem(leaf)).toBe(undefined);
    expect(check.problem(leaf)).toBe(undefined);
    const later = Date.parse(leaf.validTo) + 1_000;
    expect(check.problem(leaf, later)).toBe(resumedPeerProblem(leaf, trustAnchors(ca1.certPem), later));
    expect(check.problem(leaf, later)).toMatch(/^the peer certificate expired at /);
  });

  it('knows a leaf of an intermediate CA (shown without its chain on resumption) once a full handshake showed the chain', () => {
    const material = viaIntermediate('web');
    const leafOnly = leafOf(material);
    const check = new ResumedPeerCheck(root.certPem);
    expect(check.problem(leafOnly)).toMatch(
      /no longer in the trust bundle \(O=meshtls tests, CN=intermediate\)/,
    );
    // What a full handshake shows: the leaf with the intermediate it was sent with.
    const withChain = new X509Certificate(material.certChainPem);
    Object.defineProperty(withChain, 'issuerCertificate', {
      value: new X509Certificate(intermediate.certPem),
    });
    check.verified(withChain);
    expect(check.problem(leafOnly)).toBe(undefined);
    // The intermediate's expiry counts too.
    const intermediateEnd = Date.parse(new X509Certificate(intermediate.certPem).validTo);
    expect(check.problem(leafOnly, intermediateEnd + 1_000)).toMatch(/expired at/);
    // A chain verified under another bundle is not recorded.
    const other = new ResumedPeerCheck(ca1.certPem);
    other.verified(withChain);
    expect(other.problem(leafOnly)).toMatch(/no longer in the trust bundle/);
  });

  it('checks against its own bundle only, and keeps a bounded number of certificates', () => {
    const leaf = leafOf(fromCa1('web'));
    expect(new ResumedPeerCheck(ca1.certPem).problem(leaf)).toBe(undefined);
    expect(new ResumedPeerCheck(ca2.certPem).problem(leaf)).toMatch(/no longer in the trust bundle/);
    const small = new ResumedPeerCheck(ca1.certPem, 2);
    const leaves = [1, 2, 3].map(() => leafOf(fromCa1('web')));
    for (const l of leaves) expect(small.problem(l)).toBe(undefined);
    expect((small as unknown as { passed: Map<string, unknown> }).passed.size).toBe(2);
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
