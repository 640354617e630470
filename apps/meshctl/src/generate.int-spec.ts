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
  it("POSTs Kuma's request with the token and prints the token and a newline", async () => {
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
            mesh: 'payments',
            name: 'web-1',
            tags: { 'kuma.io/service': ['web'], version: ['v1'] },
            validFor: '24h',
          },
        },
      ]);
    } finally {
      await api.stop();
    }
  });

  it('defaults the mesh to "default" and sends no validFor unless asked', async () => {
    const api = await tokenServer(() => ({ status: 200, body: 'aaa.bbb.ccc\n' }));
    try {
      const result = await generateToken(api.url);
      expect(result.stdout).toBe('aaa.bbb.ccc\n');
      expect(api.seen[0].body).toEqual({ mesh: 'default', name: 'dp-1', tags: {} });
      expect(api.seen[0].authorization).toBeUndefined();
    } finally {
      await api.stop();
    }
  });

  it("prints the API's field errors and exits 1", async () => {
    const api = await tokenServer(() => ({
      status: 400,
      body: stdError(400, 'Could not generate a token', 'Token request is not valid', [
        { field: 'validFor', message: 'must be a valid duration, e.g. 24h, 30d or 1y' },
      ]),
    }));
    try {
      const result = await generateToken(api.url, ['--valid-for', 'soon']);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'Error: Token request is not valid\n  * validFor: must be a valid duration, e.g. 24h, 30d or 1y\n',
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

  it('refuses bad flags before sending anything', async () => {
    for (const args of [
      ['--tag', 'novalue'],
      ['--tag', 'a=1', '--tag', 'a=2'],
      ['--tag', 'kuma.io/service=web,admin'],
      [],
    ]) {
      const withName = args.length ? ['--name', 'dp-1', ...args] : args;
      const result = await runCli([
        'generate',
        'dataplane-token',
        ...withName,
        '--api-address',
        'http://127.0.0.1:1',
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/error: (option|required option)/);
      expect(result.stderr).not.toContain('cannot reach');
    }
  });
});
