import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, freePort, tempDir, type TempDir } from '@meshtls/testing';
import { http, meshctl } from '../support/cli';

const MESHES = `
type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
    - name: ca-1
      type: builtin
      dpCert:
        rotation:
          expiration: 1d
---
type: Secret
mesh: default
name: sample-secret
data: c2VjcmV0LXZhbHVlLW9mLXRoZS1lMmUtdGVzdA==
---
type: Dataplane
mesh: default
name: web-1
networking:
  address: 127.0.0.1
  inbound:
    - port: 8080
      servicePort: 18080
      tags:
        kuma.io/service: web
---
type: MeshTrafficPermission
mesh: default
name: allow-web
spec:
  targetRef:
    kind: Mesh
  from:
    - targetRef:
        kind: MeshService
        name: web
      default:
        action: Allow
`;
const SECRET_PLAINTEXT_B64 = 'c2VjcmV0LXZhbHVlLW9mLXRoZS1lMmUtdGVzdA==';

describe('standalone control plane (npm start)', () => {
  let dir: TempDir;
  let port: number;
  let cp: AppProcess;
  let base: string;
  const cli = (args: string[], stdin?: string) =>
    meshctl(args, { env: { MESHCTL_API_ADDRESS: base }, stdin });

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-standalone-');
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cp = await AppProcess.start('control-plane', { MESH_DATA_DIR: dir.path, MESH_HTTP_PORT: String(port) });
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
  });

  it('prints where it listens and is ready, with every role reachable on the bus', async () => {
    expect(cp.logs).toContain(`listening on http://127.0.0.1:${port}`);
    const health = await http('GET', `${base}/health/ready`);
    expect(health.status).toBe(200);
    expect(health.json.checks).toEqual({ store: 'ok', bus: 'ok', degradations: 'ok' });
    expect(health.json.roles).toEqual(['mesh-api', 'ca-signer', 'rotation-scheduler', 'stats-collector']);
  });

  it('applies a multi-document file with meshctl and reads it back', async () => {
    const applied = await cli(['apply', '-f', '-'], MESHES);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Mesh "default" created');
    expect(applied.stdout).toContain('Dataplane "web-1" in mesh "default" created');

    const meshes = await cli(['get', 'meshes', '-o', 'json']);
    expect(meshes.code).toBe(0);
    const list = JSON.parse(meshes.stdout);
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({ type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1' } });

    const table = await cli(['get', 'dataplanes', '--mesh', 'default']);
    expect(table.stdout).toMatch(/web-1/);
    const again = await cli(['apply', '-f', '-'], MESHES);
    expect(again.stdout).toContain('Mesh "default" updated');
  });

  it('answers PUT with 201 when created and 200 when updated', async () => {
    const body = JSON.stringify({ type: 'Mesh', name: 'second' });
    expect(
      (await http('PUT', `${base}/meshes/second`, { body, contentType: 'application/json' })).status,
    ).toBe(201);
    expect(
      (await http('PUT', `${base}/meshes/second`, { body, contentType: 'application/json' })).status,
    ).toBe(200);
  });

  it('prints the API field errors for an invalid resource and stores nothing', async () => {
    const bad = 'type: Mesh\nname: broken\nmtls:\n  enabledBackend: nope\n  backends: []\n';
    const result = await cli(['apply', '-f', '-'], bad);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('mtls.enabledBackend: has to be set to one of the backends in the mesh');
    expect((await http('GET', `${base}/meshes/broken`)).status).toBe(404);
  });

  it('answers bad requests with the right status and Kuma error body', async () => {
    const yaml = await http('PUT', `${base}/meshes/x`, {
      body: 'type: Mesh\nname: [x',
      contentType: 'application/yaml',
    });
    expect(yaml.status).toBe(400);
    expect(yaml.json).toMatchObject({ type: '/std-errors', status: 400 });

    const wrongType = await http('PUT', `${base}/meshes/x`, {
      body: JSON.stringify({ type: 'Mesh', name: 'x', mtls: { backends: 'ca-1' } }),
      contentType: 'application/json',
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.invalid_parameters[0].field).toBe('mtls.backends');
    expect(wrongType.json.causes[0].field).toBe('mtls.backends');

    const huge = await http('PUT', `${base}/meshes/x`, {
      body: JSON.stringify({ type: 'Mesh', name: 'x', pad: 'a'.repeat(1024 * 1024 + 10) }),
      contentType: 'application/json',
    });
    expect(huge.status).toBe(413);
    expect(huge.json.status).toBe(413);

    const media = await http('PUT', `${base}/meshes/x`, { body: 'name=x', contentType: 'text/plain' });
    expect(media.status).toBe(415);

    const mismatch = await http('PUT', `${base}/meshes/x`, {
      body: JSON.stringify({ type: 'Mesh', name: 'y' }),
      contentType: 'application/json',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.invalid_parameters).toEqual([
      { field: 'name', reason: 'name from the URL has to be the same as in body' },
    ]);

    const unknownMesh = await http('GET', `${base}/meshes/nowhere/dataplanes/web-1`);
    expect(unknownMesh.status).toBe(404);
    expect(unknownMesh.json.detail).toBe('Not found');

    const dpInUnknownMesh = await http('PUT', `${base}/meshes/nowhere/dataplanes/web-1`, {
      body: JSON.stringify({
        type: 'Dataplane',
        mesh: 'nowhere',
        name: 'web-1',
        networking: { address: '127.0.0.1', inbound: [{ port: 1, tags: { 'kuma.io/service': 'a' } }] },
      }),
      contentType: 'application/json',
    });
    expect(dpInUnknownMesh.status).toBe(404);
    expect(dpInUnknownMesh.json).toMatchObject({ title: 'Failed to retrieve Mesh', detail: 'Not found' });

    const method = await http('POST', `${base}/meshes/default`, {
      body: '{}',
      contentType: 'application/json',
    });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET, PUT, DELETE');

    const proto = await http('PUT', `${base}/meshes/x`, {
      body: '{"type":"Mesh","name":"x","__proto__":{"admin":true}}',
      contentType: 'application/json',
    });
    expect(proto.status).toBe(400);
    expect((await http('GET', `${base}/meshes/x`)).status).toBe(404);
  });

  it('pages lists with offset, size and a next link', async () => {
    const first = await http('GET', `${base}/meshes?size=1`);
    expect(first.json.total).toBe(2);
    expect(first.json.items).toHaveLength(1);
    expect(first.json.next).toBe(`${base}/meshes?offset=1&size=1`);
    const second = await http('GET', first.json.next);
    expect(second.json.next).toBeNull();
    expect(second.json.items[0].name).not.toBe(first.json.items[0].name);
  });

  it('keeps Secrets encrypted at rest', () => {
    // The database and its write-ahead log, where a just written row may still be.
    const files = readdirSync(dir.path).filter((f) => f.startsWith('resources.db'));
    expect(files).toContain('resources.db');
    const raw = Buffer.concat(files.map((f) => readFileSync(join(dir.path, f))));
    // The Secret's row is in these bytes (its name is stored in clear), so what follows looks at it.
    expect(raw.includes(Buffer.from('sample-secret'))).toBe(true);
    expect(raw.includes(Buffer.from(SECRET_PLAINTEXT_B64))).toBe(false);
    expect(raw.includes(Buffer.from('secret-value-of-the-e2e-test'))).toBe(false);
  });

  it('deletes with meshctl', async () => {
    const deleted = await cli(['delete', 'meshtrafficpermission', 'allow-web', '--mesh', 'default']);
    expect(deleted.code).toBe(0);
    expect((await http('GET', `${base}/meshes/default/meshtrafficpermissions/allow-web`)).status).toBe(404);
    const missing = await cli(['delete', 'mesh', 'does-not-exist']);
    expect(missing.code).toBe(1);
  });

  it('keeps every resource across a restart', async () => {
    // A graceful stop: the process ends on SIGTERM by itself, not by the SIGKILL fallback.
    expect(await cp.stop()).not.toEqual({ code: null, signal: 'SIGKILL' });
    cp = await AppProcess.start('control-plane', { MESH_DATA_DIR: dir.path, MESH_HTTP_PORT: String(port) });
    const secret = await http('GET', `${base}/meshes/default/secrets/sample-secret`);
    expect(secret.status).toBe(200);
    expect(secret.json.data).toBe(SECRET_PLAINTEXT_B64);
    const dp = await http('GET', `${base}/meshes/default/dataplanes/web-1`);
    expect(dp.json.networking.inbound[0].tags['kuma.io/service']).toBe('web');
    expect((await http('GET', `${base}/meshes`)).json.total).toBe(2);
  });
});
