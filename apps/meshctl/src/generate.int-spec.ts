import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stdError } from './test-support/recording-api.server';
import { runCli } from './test-support/run-cli';

interface Seen {
  readonly method?: string;
  readonly url?: string;
  readonly authorization?: string;
  readonly contentType?: string;
  readonly body: Record<string, unknown>;
}

/** A stand-in for `POST /tokens/dataplane`: answers a token as text, or Kuma's errors. */
async function tokenServer(answer: (body: Record<string, unknown>) => { status: number; body: unknown }) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(text || '{}') as Record<string, unknown>;
      seen.push({
        method: req.method,
        url: req.url,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });
      const reply = answer(body);
      const isText = typeof reply.body === 'string';
      res
        .writeHead(reply.status, {
          'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
        })
        .end(isText ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** `meshctl generate dataplane-token --name dp-1`, with `args`, against the API at `apiUrl`. */
const generateToken = (apiUrl: string, args: string[] = []) =>
  runCli(['generate', 'dataplane-token', '--name', 'dp-1', ...args, '--api-address', apiUrl]);

describe('meshctl generate dataplane-token', () => {
  it("POSTs kumactl's request body with the token and prints the token and a newline", async () => {
    const api = await tokenServer(() => ({ status: 200, body: 'aaa.bbb.ccc' }));
    try {
      const result = await runCli(
        [
          'generate',
          'dataplane-token',
          '--mesh',
          'payments',
          '--name',
          'web-1',
          '--tag',
          'kuma.io/service=web',
          '--tag',
          'version=v1',
          '--valid-for',
          '24h',
          '--proxy-type',
          'dataplane',
          '--workload',
          'backend',
        ],
        { env: { MESHCTL_API_ADDRESS: `${api.url}/`, MESHCTL_TOKEN: 'admin-token' } },
      );
      expect(result).toEqual({ code: 0, stdout: 'aaa.bbb.ccc\n', stderr: '' });
      expect(api.seen).toEqual([
        {
          method: 'POST',
          url: '/tokens/dataplane',
          authorization: 'Bearer admin-token',
          contentType: 'application/json',
          body: {
            name: 'web-1',
            mesh: 'payments',
            tags: { 'kuma.io/service': ['web'], version: ['v1'] },
            type: 'dataplane',
            workload: 'backend',
            validFor: '24h',
          },
        },
      ]);
    } finally {
      await api.stop();
    }
  });

  it('defaults the mesh to "default" and sends empty strings for what is not asked, as kumactl', async () => {
    const api = await tokenServer(() => ({ status: 200, body: 'aaa.bbb.ccc\n' }));
    try {
      const result = await generateToken(api.url);
      expect(result.stdout).toBe('aaa.bbb.ccc\n');
      expect(api.seen[0].body).toEqual({
        name: 'dp-1',
        mesh: 'default',
        tags: {},
        type: '',
        workload: '',
        validFor: '',
      });
      expect(Object.keys(api.seen[0].body)).toEqual(['name', 'mesh', 'tags', 'type', 'workload', 'validFor']);
      expect(api.seen[0].authorization).toBeUndefined();
    } finally {
      await api.stop();
    }
  });

  it("prints the API's field errors and exits 1", async () => {
    const api = await tokenServer(() => ({
      status: 400,
      body: stdError(400, 'Invalid request', 'Resource is not valid', [
        { field: 'validFor', message: 'must be a valid duration, e.g. 24h, 1h30m, 30d or 1y' },
      ]),
    }));
    try {
      const result = await generateToken(api.url, ['--valid-for', 'soon']);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'Error: Resource is not valid\n  * validFor: must be a valid duration, e.g. 24h, 1h30m, 30d or 1y\n',
      });
    } finally {
      await api.stop();
    }
  });

  it('prints the token hint on 403', async () => {
    const api = await tokenServer(() => ({
      status: 403,
      body: stdError(403, 'Access Denied', 'POST requires the admin token (Authorization: Bearer <token>)'),
    }));
    try {
      const result = await generateToken(api.url);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Error: POST requires the admin token');
      expect(result.stderr).toContain('Hint:');
    } finally {
      await api.stop();
    }
  });

  it('says when nothing answers', async () => {
    const api = await tokenServer(() => ({ status: 200, body: 'x' }));
    await api.stop();
    const result = await generateToken(api.url);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: cannot reach the control plane at ${api.url}: connection refused\n`,
    });
  });

  it.each([
    [['--tag', 'kuma.io/service=web,web-api'], { 'kuma.io/service': ['web', 'web-api'] }],
    [
      ['--tag', 'kuma.io/service=web', '--tag', 'version=v1,v2'],
      { 'kuma.io/service': ['web'], version: ['v1', 'v2'] },
    ],
    [['--tag', 'a=1,b=2'], { a: ['1'], b: ['2'] }],
    [['--tag', 'a=1', '--tag', 'a=1'], { a: ['1'] }],
  ])('reads --tag as kumactl does: %j sends tags %j', async (args, tags) => {
    const api = await tokenServer(() => ({ status: 200, body: 'aaa.bbb.ccc' }));
    try {
      const result = await runCli(['generate', 'dataplane-token', ...args, '--api-address', api.url]);
      expect(result.code).toBe(0);
      expect(api.seen[0].body).toMatchObject({ name: '', tags });
    } finally {
      await api.stop();
    }
  });

  it('takes the deprecated --type as kumactl does', async () => {
    const api = await tokenServer(() => ({ status: 200, body: 'aaa.bbb.ccc' }));
    try {
      expect((await generateToken(api.url, ['--type', 'dataplane'])).code).toBe(0);
      expect(api.seen[0].body.type).toBe('dataplane');
    } finally {
      await api.stop();
    }
  });

  it('refuses bad flags before sending anything', async () => {
    for (const args of [
      ['--tag', 'novalue'],
      ['--tag', 'a=1', '--tag', 'a=2'],
      ['--tag', 'kuma.io/service=web,'],
      ['--tag', '=web'],
    ]) {
      const result = await runCli([
        'generate',
        'dataplane-token',
        '--name',
        'dp-1',
        ...args,
        '--api-address',
        'http://127.0.0.1:1',
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/error: option '--tag <key=values>' argument/);
      expect(result.stderr).not.toContain('cannot reach');
    }
  });

  it('says that offline signing (--signing-key-path, --kid) is not supported', async () => {
    const result = await runCli([
      'generate',
      'dataplane-token',
      '--signing-key-path',
      '/tmp/key.pem',
      '--kid',
      '1',
      '--api-address',
      'http://127.0.0.1:1',
    ]);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: --signing-key-path and --kid are not supported: tokens are signed by the control plane, whose signing keys never leave it.\n',
    });
  });
});
