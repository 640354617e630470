import { createPublicKey, verify } from 'node:crypto';
import { AppProcess, Topology, freePort, tempDir, type TempDir } from '@meshtls/testing';
import { http, meshctl } from '../support/cli';

const json = 'application/json';
const meshDoc = (name: string) => JSON.stringify({ type: 'Mesh', name });

/** The three segments of a compact JWS, header and claims decoded as a dataplane or any JWT tool would. */
function decode(token: string) {
  const [h, p, s] = token.split('.');
  const part = (text: string) => JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  return {
    header: part(h),
    claims: part(p),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

describe('dataplane tokens (standalone)', () => {
  let dir: TempDir;
  let cp: AppProcess;
  let base: string;
  const cli = (args: string[]) => meshctl(args, { env: { MESHCTL_API_ADDRESS: base } });
  const post = (body: unknown) =>
    http('POST', `${base}/tokens/dataplane`, { body: JSON.stringify(body), contentType: json });

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-tokens-');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cp = await AppProcess.start('control-plane', { MESH_DATA_DIR: dir.path, MESH_HTTP_PORT: String(port) });
    const put = await http('PUT', `${base}/meshes/default`, { body: meshDoc('default'), contentType: json });
    expect(put.status).toBe(201);
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
  });

  it('generates a token over REST: plain text, ES256, Kuma claims, signed by the mesh key', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await post({
      mesh: 'default',
      name: 'dp-1',
      tags: { 'kuma.io/service': ['web'] },
      validFor: '24h',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const token = res.text.trim();
    const { header, claims, signingInput, signature } = decode(token);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: '1' });
    expect(claims).toMatchObject({ Name: 'dp-1', Mesh: 'default', Tags: { 'kuma.io/service': ['web'] } });
    // iat and nbf are set five seconds back, as Kuma sets them.
    expect(claims.iat).toBeGreaterThanOrEqual(before - 6);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp - claims.iat).toBe(86_400 + 5);
    expect(typeof claims.jti).toBe('string');

    // The signing key is a Secret of the mesh (admin-readable); check the signature with it directly.
    const secret = await http('GET', `${base}/meshes/default/secrets/dataplane-token-signing-key-default-1`);
    expect(secret.status).toBe(200);
    const publicKey = createPublicKey(Buffer.from(secret.json.data, 'base64').toString('utf8'));
    const ok = verify(
      'sha256',
      Buffer.from(signingInput),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      signature,
    );
    expect(ok).toBe(true);
  });

  it('generates a token with meshctl generate dataplane-token', async () => {
    const result = await cli([
      'generate',
      'dataplane-token',
      '--mesh',
      'default',
      '--name',
      'dp-2',
      '--tag',
      'kuma.io/service=api',
      '--valid-for',
      '1h',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { header, claims } = decode(result.stdout.trim());
    expect(header.kid).toBe('1');
    expect(claims).toMatchObject({ Name: 'dp-2', Mesh: 'default', Tags: { 'kuma.io/service': ['api'] } });
    expect(claims.exp - claims.iat).toBe(3_600 + 5);
  });

  it("defaults to ten years (Kuma's default) and makes one signing key per mesh", async () => {
    const res = await post({ mesh: 'default', name: 'dp-3' });
    expect(res.status).toBe(200);
    const { claims } = decode(res.text.trim());
    expect(claims.exp - claims.iat).toBe(3650 * 86_400 + 5);
    const secrets = await http('GET', `${base}/meshes/default/secrets`);
    const names = secrets.json.items.map((s: { name: string }) => s.name);
    expect(names.filter((n: string) => n.startsWith('dataplane-token-signing-key-'))).toEqual([
      'dataplane-token-signing-key-default-1',
    ]);
  });

  it('answers bad input with 400 naming the field, an unknown mesh with 404, other methods with 405', async () => {
    const field = async (body: unknown) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ type: '/std-errors', status: 400, title: 'Invalid request' });
      return res.json.invalid_parameters.map((p: { field: string }) => p.field);
    };
    expect(await field({ mesh: 'default', name: 'dp-1', validFor: 'soon' })).toEqual(['validFor']);
    expect(await field({ mesh: 'default', name: 'dp-1', validFor: '0s' })).toEqual(['validFor']);
    expect(await field({ mesh: 'default', name: 'Dp_1' })).toEqual(['name']);
    expect(await field({ name: 'dp-1' })).toEqual(['mesh']);
    expect(await field({ mesh: 'default', name: 'dp-1', tags: { 'kuma.io/service': [] } })).toEqual([
      'tags["kuma.io/service"]',
    ]);

    const unknown = await post({ mesh: 'nowhere', name: 'dp-1' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ type: '/std-errors', status: 404 });
    expect((await http('GET', `${base}/meshes/nowhere/secrets`)).status).toBe(404);

    const method = await http('GET', `${base}/tokens/dataplane`);
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('POST');

    const cliError = await cli(['generate', 'dataplane-token', '--name', 'dp-1', '--valid-for', 'soon']);
    expect(cliError.code).toBe(1);
    expect(cliError.stdout).toBe('');
    expect(cliError.stderr).toContain('validFor: must be a valid duration');
  });
});

describe('dataplane tokens (distributed mesh-api)', () => {
  let topology: Topology;
  let url: string;

  beforeAll(async () => {
    topology = await Topology.start({ 'mesh-api': 1 });
    url = topology.of('mesh-api')[0].url;
    const put = await http('PUT', `${url}/meshes/default`, {
      body: meshDoc('default'),
      contentType: json,
      token: topology.adminToken,
    });
    expect(put.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await topology?.stop();
  });

  it('needs the admin token even from localhost: 403 without, 401 wrong, 200 right', async () => {
    const body = JSON.stringify({ mesh: 'default', name: 'dp-1' });
    const anonymous = await http('POST', `${url}/tokens/dataplane`, { body, contentType: json });
    expect(anonymous.status).toBe(403);
    expect(anonymous.json).toMatchObject({ type: '/std-errors', status: 403 });
    const wrong = await http('POST', `${url}/tokens/dataplane`, {
      body,
      contentType: json,
      token: 'x'.repeat(20),
    });
    expect(wrong.status).toBe(401);
    const admin = await http('POST', `${url}/tokens/dataplane`, {
      body,
      contentType: json,
      token: topology.adminToken,
    });
    expect(admin.status).toBe(200);
    expect(decode(admin.text.trim()).claims).toMatchObject({ Name: 'dp-1', Mesh: 'default' });

    const cli = await meshctl(['generate', 'dataplane-token', '--name', 'dp-2'], {
      env: { MESHCTL_API_ADDRESS: url },
    });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('admin token');
    const withToken = await meshctl(['generate', 'dataplane-token', '--name', 'dp-2'], {
      env: { MESHCTL_API_ADDRESS: url, MESHCTL_TOKEN: topology.adminToken },
    });
    expect(withToken.code).toBe(0);
    expect(decode(withToken.stdout.trim()).claims.Name).toBe('dp-2');
  });
});
