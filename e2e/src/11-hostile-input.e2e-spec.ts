import { createClient } from 'redis';
import { Topology, type Replica } from '@meshtls/testing';

/**
 * Hostile and malformed requests against a distributed mesh-api (admin token required): every one is
 * answered 4xx with a reason, never 500; the process stays up; nothing is stored; a Secret's value never
 * leaves through a non-admin GET, the logs or Redis.
 */
describe('hostile input (REST)', () => {
  let topology: Topology;
  let api: Replica;
  const SECRET_VALUE = 'c3VwZXItc2VjcmV0LXZhbHVlLTQyNDI='; // base64 of a recognisable string

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
    topology = await Topology.start({ 'mesh-api': 1, 'ca-signer': 1 });
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
    [
      'a 2 MiB string',
      '/meshes/huge',
      JSON.stringify({ type: 'Mesh', name: 'huge', x: 'a'.repeat(2 << 20) }),
    ],
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

  it('never shows a Secret to a non-admin, nor in the logs or Redis', async () => {
    const anonymous = await send('GET', '/meshes/m/secrets/db-password', undefined, { token: null });
    expect([401, 403]).toContain(anonymous.status);
    expect(anonymous.text).not.toContain(SECRET_VALUE);
    const list = await send('GET', '/meshes/m/secrets', undefined, { token: null });
    expect(list.text).not.toContain(SECRET_VALUE);
    expect(JSON.parse((await send('GET', '/meshes/m/secrets/db-password')).text).data).toBe(SECRET_VALUE);
    for (const replica of topology.replicas) expect(replica.process.logs).not.toContain(SECRET_VALUE);
    const redis = createClient({ url: topology.redis.url });
    await redis.connect();
    try {
      for (const key of await redis.keys('*')) {
        if ((await redis.type(key)) === 'string')
          expect((await redis.get(key)) ?? '').not.toContain(SECRET_VALUE);
      }
    } finally {
      await redis.close();
    }
  });
});
