import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, DataplaneProcess, freePort, tempDir, type TempDir } from '@meshtls/testing';
import { http, meshctl } from '../support/cli';

/** The body kumactl 2.14 sends for `generate dataplane-token --tag kuma.io/service=web,api --valid-for 24h`. */
const KUMACTL_REQUEST = readFileSync(
  join(__dirname, '../kuma-compat/tokens/kumactl-dataplane-token-request.json'),
  'utf8',
);
const json = 'application/json';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decode(token: string) {
  const [h, p, s] = token.split('.');
  const part = (text: string) => JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  return {
    header: part(h!),
    claims: part(p!),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s!, 'base64url'),
  };
}

describe('dataplane tokens as kumactl asks for them (standalone)', () => {
  let dir: TempDir;
  let cp: AppProcess;
  let base: string;
  let dpPort: number;
  const dataplanes: DataplaneProcess[] = [];
  const post = (body: string) => http('POST', `${base}/tokens/dataplane`, { body, contentType: json });

  const startDp = async (name: string, service: string, token: string) => {
    const dp = await DataplaneProcess.start({
      dir: dir.path,
      mesh: 'default',
      name,
      service,
      token,
      cpAddresses: [`127.0.0.1:${dpPort}`],
      caFile: join(dir.path, 'data', 'dp-server', 'ca.pem'),
    });
    dataplanes.push(dp);
    return dp;
  };

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-kuma-tokens-');
    const port = await freePort();
    dpPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    cp = await AppProcess.start('control-plane', {
      MESH_DATA_DIR: join(dir.path, 'data'),
      MESH_HTTP_PORT: String(port),
      MESH_DP_SERVER_PORT: String(dpPort),
    });
    const mesh = {
      type: 'Mesh',
      name: 'default',
      mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
    };
    const put = await http('PUT', `${base}/meshes/default`, {
      body: JSON.stringify(mesh),
      contentType: json,
    });
    expect(put.status).toBe(201);
  });

  afterAll(async () => {
    for (const dp of dataplanes) await dp.stop();
    await cp?.stop();
    await dir?.remove();
  });

  let multiValued: string;

  it("answers kumactl's literal request with a token carrying Kuma's claims", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await post(KUMACTL_REQUEST);
    const after = Math.floor(Date.now() / 1000);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    multiValued = res.text.trim();
    const { header, claims, signingInput, signature } = decode(multiValued);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: '1' });
    expect(claims).toEqual({
      Name: '',
      Mesh: 'default',
      Tags: { 'kuma.io/service': ['api', 'web'] },
      Type: '',
      Workload: '',
      exp: expect.any(Number),
      nbf: claims.iat,
      iat: expect.any(Number),
      jti: expect.stringMatching(UUID),
    });
    // As Kuma's issuer: valid from five seconds before issue, for validFor after it.
    expect(claims.iat).toBeGreaterThanOrEqual(before - 5);
    expect(claims.iat).toBeLessThanOrEqual(after - 5);
    expect(claims.exp - claims.iat).toBe(86_400 + 5);

    const secret = await http('GET', `${base}/meshes/default/secrets/dataplane-token-signing-key-default-1`);
    const publicKey = createPublicKey(Buffer.from(secret.json.data, 'base64').toString('utf8'));
    const signed = { key: publicKey, dsaEncoding: 'ieee-p1363' as const };
    expect(verify('sha256', Buffer.from(signingInput), signed, signature)).toBe(true);
  });

  it('admits a dataplane of either value with the one multi-valued token, and refuses a third', async () => {
    const web = await startDp('web-1', 'web', multiValued);
    const api = await startDp('api-1', 'api', multiValued);
    expect((await web.waitFor((v) => v.ready)).identity?.uris).toContain('spiffe://default/web');
    expect((await api.waitFor((v) => v.ready)).identity?.uris).toContain('spiffe://default/api');

    const admin = await startDp('admin-1', 'admin', multiValued);
    await admin.process.waitFor(/refused by/, 15_000);
    expect(admin.process.logs).toContain(
      'dataplane contains tag "kuma.io/service" with value "admin" which is not allowed with this token. Allowed values in token are ["api" "web"]',
    );
    expect((await admin.view().catch(() => undefined))?.identity ?? null).toBeNull();
  });

  it('defaults to ten years, and answers bad input in Kuma error shape naming the field', async () => {
    const request = JSON.parse(KUMACTL_REQUEST);
    const res = await post(JSON.stringify({ ...request, validFor: '' }));
    expect(res.status).toBe(200);
    const { claims } = decode(res.text.trim());
    expect(claims.exp - claims.iat).toBe(3650 * 86_400 + 5);

    const bad = await post(JSON.stringify({ ...request, validFor: 'soon', type: 'sidecar' }));
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      type: '/std-errors',
      status: 400,
      title: 'Invalid request',
      detail: 'Resource is not valid',
    });
    expect(bad.json.invalid_parameters.map((p: { field: string }) => p.field)).toEqual(['type', 'validFor']);
  });

  it('generates the same kind of token with meshctl and kumactl flags', async () => {
    const result = await meshctl(
      [
        'generate',
        'dataplane-token',
        '--mesh',
        'default',
        '--tag',
        'kuma.io/service=web,api',
        '--valid-for',
        '24h',
      ],
      { env: { MESHCTL_API_ADDRESS: base } },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { claims } = decode(result.stdout.trim());
    expect(claims).toMatchObject({ Name: '', Mesh: 'default', Tags: { 'kuma.io/service': ['api', 'web'] } });
    expect(claims.exp - claims.iat).toBe(86_400 + 5);
  });

  it('still admits a dataplane with a token of the previous claim form, until it expires', async () => {
    // A token as this control plane issued them before: one string per tag, no Type, Workload or nbf.
    const secret = await http('GET', `${base}/meshes/default/secrets/dataplane-token-signing-key-default-1`);
    const key = createPrivateKey(Buffer.from(secret.json.data, 'base64').toString('utf8'));
    const iat = Math.floor(Date.now() / 1000);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const signingInput = `${b64({ alg: 'ES256', typ: 'JWT', kid: '1' })}.${b64({
      Name: 'web-legacy',
      Mesh: 'default',
      Tags: { 'kuma.io/service': 'web' },
      iat,
      exp: iat + 3600,
      jti: 'legacy-1',
    })}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    const legacy = `${signingInput}.${signature.toString('base64url')}`;
    const dp = await startDp('web-legacy', 'web', legacy);
    expect((await dp.waitFor((v) => v.ready)).identity?.uris).toContain('spiffe://default/web');

    const expired = `${b64({ alg: 'ES256', typ: 'JWT', kid: '1' })}.${b64({
      Name: 'web-expired',
      Mesh: 'default',
      Tags: { 'kuma.io/service': 'web' },
      iat: iat - 7200,
      exp: iat - 3600,
      jti: 'legacy-2',
    })}`;
    const expiredToken = `${expired}.${sign('sha256', Buffer.from(expired), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    const refused = await startDp('web-expired', 'web', expiredToken);
    await refused.process.waitFor(/refused by/, 15_000);
    expect(refused.process.logs).toMatch(/refused.*expired/);
  });

  it("refuses a token listed in Kuma's revocation Secret, as a Kuma user revokes one", async () => {
    const res = await post(JSON.stringify({ ...JSON.parse(KUMACTL_REQUEST), name: 'web-revoked' }));
    const token = res.text.trim();
    const secret = {
      type: 'Secret',
      mesh: 'default',
      name: 'dataplane-token-revocations-default',
      data: Buffer.from(`${decode(token).claims.jti}\n`).toString('base64'),
    };
    const put = await http('PUT', `${base}/meshes/default/secrets/${secret.name}`, {
      body: JSON.stringify(secret),
      contentType: json,
    });
    expect(put.status).toBe(201);
    const dp = await startDp('web-revoked', 'web', token);
    await dp.process.waitFor(/refused by/, 15_000);
    expect(dp.process.logs).toContain('dataplane token refused (revoked)');
  });
});
