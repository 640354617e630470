import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingApiServer } from './test-support/recording-api.server';
import { runCli } from './test-support/run-cli';

describe('meshctl config, tokens and connection failures', () => {
  let server: RecordingApiServer;
  let address: string;
  let dir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    server = new RecordingApiServer({ requiredToken: 'admin-secret-token' });
    address = await server.start();
    dir = await mkdtemp(join(tmpdir(), 'meshctl-config-'));
    env = { MESHCTL_CONFIG: join(dir, 'nested', 'config.yaml'), HOME: dir };
  });

  afterEach(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('config set writes a file only its owner can read, and later commands use it', async () => {
    const set = await runCli(['config', 'set', '--api-address', address, '--token', 'admin-secret-token'], {
      env,
    });
    expect(set).toEqual({ code: 0, stdout: `Config written to ${env.MESHCTL_CONFIG}\n`, stderr: '' });
    expect((await stat(env.MESHCTL_CONFIG)).mode & 0o777).toBe(0o600);
    expect(await readFile(env.MESHCTL_CONFIG, 'utf8')).toBe(
      `apiAddress: ${address}\ntoken: admin-secret-token\n`,
    );

    const get = await runCli(['get', 'meshes'], { env });
    expect(get).toEqual({ code: 0, stdout: 'NAME   mTLS   BACKENDS   AGE\n', stderr: '' });
    expect(server.requests[0].authorization).toBe('Bearer admin-secret-token');
  });

  it('config set keeps what it is not told to change, tightens an older file, and can forget the token', async () => {
    const path = join(dir, 'config.yaml');
    await writeFile(path, 'apiAddress: http://old:5681\ntoken: t0\n', { mode: 0o644 });
    const e = { ...env, MESHCTL_CONFIG: path };
    expect((await runCli(['config', 'set', '--token', 'newer-token'], { env: e })).code).toBe(0);
    expect(await readFile(path, 'utf8')).toBe('apiAddress: http://old:5681\ntoken: newer-token\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await runCli(['config', 'set', '--token', ''], { env: e })).code).toBe(0);
    expect(await readFile(path, 'utf8')).toBe('apiAddress: http://old:5681\n');
  });

  it('config set refuses nothing to set and a bad address', async () => {
    expect((await runCli(['config', 'set'], { env })).stderr).toMatch(/^Error: nothing to set/);
    const bad = await runCli(['config', 'set', '--api-address', 'localhost:5681'], { env });
    expect(bad).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/must be an http:\/\/ or https:\/\/ URL/),
    });
  });

  it('config view shows each setting with its source and masks the token', async () => {
    await runCli(['config', 'set', '--api-address', 'http://file:5681', '--token', 'file-token-abcd'], {
      env,
    });
    const view = await runCli(['config', 'view'], {
      env: { ...env, MESHCTL_API_ADDRESS: 'http://env:5681' },
    });
    expect(view.stdout).toBe(
      `config file: ${env.MESHCTL_CONFIG}\n` +
        'api address: http://env:5681 (from MESHCTL_API_ADDRESS)\n' +
        'token: ********abcd (from the config file)\n',
    );
    const flag = await runCli(['config', 'view', '--api-address', 'http://flag:5681'], { env });
    expect(flag.stdout).toContain('api address: http://flag:5681 (from the command line)\n');
  });

  it('a flag token wins over the environment, and a refused token gets a hint', async () => {
    const e = { ...env, MESHCTL_API_ADDRESS: address, MESHCTL_TOKEN: 'wrong' };
    const refused = await runCli(['get', 'meshes'], { env: e });
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/^Error: missing or invalid token\nHint: /);
    const ok = await runCli(['--token', 'admin-secret-token', 'get', 'meshes'], { env: e });
    expect(ok.code).toBe(0);
    expect(server.requests.map((r) => r.authorization)).toEqual([
      'Bearer wrong',
      'Bearer admin-secret-token',
    ]);
  });

  it('says the control plane cannot be reached when the port refuses connections', async () => {
    const closed = await freeClosedPort();
    const result = await runCli(['get', 'meshes', '--api-address', `http://127.0.0.1:${closed}`], { env });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: cannot reach the control plane at http://127.0.0.1:${closed}: connection refused\n`,
    });
  });

  it('gives up after --timeout when the server never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const result = await runCli(['get', 'meshes', '--api-address', url, '--timeout', '0.2'], { env });
      expect(result.stderr).toBe(`Error: cannot reach the control plane at ${url}: no answer within 0.2s\n`);
      expect(result.code).toBe(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await closeAll(silent);
    }
  });
});

async function freeClosedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await closeAll(probe);
  return port;
}

function closeAll(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
