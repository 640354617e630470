import { connect } from 'node:net';
import { ErrorCode, connect as natsConnect } from 'nats';
import { Topology, type Replica } from '@meshtls/testing';

/** Every message JetStream keeps, in every stream: its subject, and its headers and payload as text. */
async function jetStreamMessages(topology: Topology): Promise<{ subject: string; text: string }[]> {
  const nc = await natsConnect({ servers: topology.natsUrls, ...topology.natsObserver() });
  try {
    const jsm = await nc.jetstreamManager();
    const messages: { subject: string; text: string }[] = [];
    for (const info of await jsm.streams.list().next()) {
      if (info.state.messages === 0) continue;
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        try {
          const m = await jsm.streams.getMessage(info.config.name, { seq });
          messages.push({ subject: m.subject, text: `${m.header?.toString() ?? ''}${m.string()}` });
        } catch (err) {
          // A revision the stream no longer keeps (a key's older value in a bucket of history 1).
          if ((err as { code?: unknown }).code !== ErrorCode.JetStream404NoMessages) throw err;
        }
      }
    }
    return messages;
  } finally {
    await nc.close();
  }
}

/** A status and the body of an answer read off a raw socket: whole once its declared length is in. */
function parseResponse(bytes: Buffer): { status: number; text: string } | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = bytes.subarray(0, headEnd).toString('latin1');
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
  const body = bytes.subarray(headEnd + 4);
  if (!(body.length >= length)) return undefined;
  return { status: Number(head.split(' ')[1]), text: body.subarray(0, length).toString('utf8') };
}

/**
 * A PUT from a client that sends its whole request before it reads the answer, over a raw socket: the
 * body in 16 KiB writes, each once the socket took the previous one and a timer tick later (a slow
 * uploader), with a declared length or chunked. Rejects when the connection fails at any point: a server
 * that closes while the body still comes resets the connection, which fails the client's next write and
 * can destroy the answer before it is read.
 */
async function uploadThenRead(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  framing: 'content-length' | 'chunked',
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
  const received: Buffer[] = [];
  let failure: Error | undefined;
  socket.on('error', (e) => (failure ??= e));
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const write = (data: string | Buffer) =>
    new Promise<void>((resolve, reject) => socket.write(data, (e) => (e ? reject(e) : resolve())));
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const lines = Object.entries({
      host: `${hostname}:${port}`,
      ...headers,
      ...(framing === 'chunked' ? { 'transfer-encoding': 'chunked' } : { 'content-length': body.length }),
    }).map(([k, v]) => `${k}: ${v}\r\n`);
    await write(`PUT ${path} HTTP/1.1\r\n${lines.join('')}\r\n`);
    const CHUNK = 16 * 1024;
    for (let at = 0; at < body.length; at += CHUNK) {
      const part = body.subarray(at, at + CHUNK);
      await write(
        framing === 'chunked'
          ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')])
          : part,
      );
      await new Promise((r) => setTimeout(r, 1));
    }
    if (framing === 'chunked') await write('0\r\n\r\n');
    // Then read: the answer (and the connection's end, or the error that cut it) come by themselves.
    await new Promise<void>((resolve) => {
      const check = () => {
        if (failure || parseResponse(Buffer.concat(received)) || socket.readableEnded || socket.destroyed)
          resolve();
      };
      socket.on('data', check).on('end', check).on('close', check);
      check();
    });
    if (failure) throw failure;
    const response = parseResponse(Buffer.concat(received));
    if (!response) throw new Error(`connection ended without a whole answer: ${Buffer.concat(received)}`);
    return response;
  } finally {
    socket.destroy();
  }
}

/**
 * Hostile and malformed requests against a distributed mesh-api (admin token required): every one is
 * answered 4xx with a reason, never 500; the process stays up; nothing is stored; a Secret's value never
 * leaves through a non-admin GET or any log line, and is stored in NATS only encrypted.
 */
describe('hostile input (REST)', () => {
  let topology: Topology;
  let api: Replica;
  const SECRET_VALUE = 'c3VwZXItc2VjcmV0LXZhbHVlLTQyNDI='; // base64 of a recognisable string
  const SECRET_FORMS = [SECRET_VALUE, Buffer.from(SECRET_VALUE, 'base64').toString('utf8')];

  const send = async (
    method: string,
    path: string,
    body?: string | Buffer,
    options: { token?: string | null; contentType?: string } = {},
  ) => {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
    const token = options.token === undefined ? topology.adminToken : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${api.url}${path}`, { method, headers, body });
    return { status: response.status, text: await response.text() };
  };
  const meshCount = async () => JSON.parse((await send('GET', '/meshes')).text).total as number;

  beforeAll(async () => {
    // The most verbose log level, so that no log line can carry a Secret unseen.
    topology = await Topology.start({ 'mesh-api': 1, 'ca-signer': 1 }, { MESH_LOG_LEVEL: 'trace' });
    [api] = topology.of('mesh-api') as [Replica];
    expect((await send('PUT', '/meshes/m', JSON.stringify({ type: 'Mesh', name: 'm' }))).status).toBe(201);
    const secret = JSON.stringify({ type: 'Secret', mesh: 'm', name: 'db-password', data: SECRET_VALUE });
    expect((await send('PUT', '/meshes/m/secrets/db-password', secret)).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await topology?.stop();
  });

  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const cases: [string, string, string | Buffer, { token?: string | null; contentType?: string }?][] = [
    ['deeply nested JSON', '/meshes/deep', `{"type":"Mesh","name":"deep","mtls":${deep(100_000)}}`],
    ['wrong types', '/meshes/typed', JSON.stringify({ type: 'Mesh', name: 'typed', mtls: 'yes' })],
    ['an array body', '/meshes/arr', '[1,2,3]'],
    ['not JSON', '/meshes/nj', '{"type": "Mesh", '],
    ['invalid UTF-8', '/meshes/utf', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    [
      '__proto__ keys',
      '/meshes/proto',
      '{"type":"Mesh","name":"proto","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    ],
    ['a name with a slash', '/meshes/a%2Fb', JSON.stringify({ type: 'Mesh', name: 'a/b' })],
    ['a path of ..', '/meshes/..', JSON.stringify({ type: 'Mesh', name: '..' })],
    ['a body naming another resource', '/meshes/one', JSON.stringify({ type: 'Mesh', name: 'two' })],
    ['a wrong content type', '/meshes/ct', 'type: Mesh', { contentType: 'text/plain' }],
    ['no token', '/meshes/anon', JSON.stringify({ type: 'Mesh', name: 'anon' }), { token: null }],
    [
      'a wrong token',
      '/meshes/wrong',
      JSON.stringify({ type: 'Mesh', name: 'wrong' }),
      { token: 'x'.repeat(48) },
    ],
  ];

  // Every row gets its options: jest hands a `done` callback to a test whose row is shorter than its arity.
  it.each(cases.map(([what, path, body, options]) => [what, path, body, options ?? {}] as const))(
    'answers %s with a 4xx and a reason, and stores nothing',
    async (_what, path, body, options) => {
      const before = await meshCount();
      const r = await send('PUT', path, body, options);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.text.length).toBeGreaterThan(0);
      expect((await send('GET', '/health/ready')).status).toBe(200);
      expect(await meshCount()).toBe(before);
      expect((await send('GET', '/meshes')).text).not.toContain('polluted');
    },
  );

  describe('a 2 MiB body', () => {
    const huge = Buffer.from(JSON.stringify({ type: 'Mesh', name: 'huge', x: 'a'.repeat(2 << 20) }));
    const tooLarge = {
      type: '/std-errors',
      status: 413,
      title: 'Payload Too Large',
      detail: 'request body is larger than 1 MiB',
      details: 'request body is larger than 1 MiB',
    };
    const headers = () => ({
      'content-type': 'application/json',
      authorization: `Bearer ${topology.adminToken}`,
    });

    it('is answered 413 with the reason to fetch, and stores nothing', async () => {
      const before = await meshCount();
      const r = await send('PUT', '/meshes/huge', huge);
      expect(r.status).toBe(413);
      expect(JSON.parse(r.text)).toEqual(tooLarge);
      expect((await send('GET', '/health/ready')).status).toBe(200);
      expect(await meshCount()).toBe(before);
    });

    it.each(['content-length', 'chunked'] as const)(
      'is answered 413 with the reason to a client that sends it all (%s) before it reads',
      async (framing) => {
        const before = await meshCount();
        const r = await uploadThenRead(api.url, '/meshes/huge', headers(), huge, framing);
        expect(r.status).toBe(413);
        expect(JSON.parse(r.text)).toEqual(tooLarge);
        expect((await send('GET', '/health/ready')).status).toBe(200);
        expect(await meshCount()).toBe(before);
      },
    );
  });

  it('never shows a Secret to a non-admin, in any log at the most verbose level, or unencrypted in NATS', async () => {
    const anonymous = await send('GET', '/meshes/m/secrets/db-password', undefined, { token: null });
    expect([401, 403]).toContain(anonymous.status);
    expect(anonymous.text).not.toContain(SECRET_VALUE);
    const list = await send('GET', '/meshes/m/secrets', undefined, { token: null });
    expect([401, 403]).toContain(list.status);
    expect(list.text).not.toContain(SECRET_VALUE);
    expect(JSON.parse((await send('GET', '/meshes/m/secrets/db-password')).text).data).toBe(SECRET_VALUE);

    // Where a Secret lives in distributed mode: the resource bucket. Every message JetStream keeps (every
    // stream, every revision) is read raw; the Secret's own record is there, encrypted.
    const leaks = (text: string) => SECRET_FORMS.some((form) => text.includes(form));
    const stored = await jetStreamMessages(topology);
    expect(stored.filter((m) => leaks(m.text)).map((m) => m.subject)).toEqual([]);
    const record = stored.filter((m) => m.subject === '$KV.mesh-resources.Secret.m.db-password');
    expect(record).toHaveLength(1);
    expect(record[0]!.text).toMatch(/"data":"enc:v1:/);

    // Every process's stdout and stderr at trace level, to the last line: they are stopped first (so this
    // test comes last).
    for (const replica of topology.replicas) await replica.process.stop();
    for (const replica of topology.replicas) {
      expect(replica.process.logs).toMatch(/"level":20,/); // debug lines: the verbose level is on
      const lines = replica.process.logs.split('\n');
      expect(lines.filter(leaks).map((line) => `${replica.instanceId}: ${line}`)).toEqual([]);
    }
  });
});
