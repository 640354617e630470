import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  REPO_ROOT,
  Topology,
  startStandaloneControlPlane,
  tempDir,
  type Replica,
  type StandaloneControlPlane,
  type TempDir,
} from '@meshtls/testing';
import { http } from '../support/cli';

const json = 'application/json';
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * kumactl 2.14.3's reading of `GET /` (`NewAPIServerClient` then `ValidateCpCoordinates`), ported: a 200
 * whose body decodes into `types.IndexResponse` (every field a string; an absent one reads as ""), then
 * the product check of `config control-planes add` (`--skip-check` skips the whole reading). Returns what
 * kumactl would print, or undefined when it accepts the control plane.
 */
function kumactlControlPlanesAdd(status: number, body: unknown): string | undefined {
  if (status !== 200) return `could not connect to the Control Plane API Server: (${status})`;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'could not connect to the Control Plane API Server: json: cannot unmarshal';
  }
  const fields = ['hostname', 'product', 'version', 'instanceId', 'clusterId', 'gui', 'basedOnKuma'];
  for (const field of fields) {
    const value = (body as Record<string, unknown>)[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      return `could not connect to the Control Plane API Server: json: cannot unmarshal ${typeof value} into Go struct field IndexResponse.${field} of type string`;
    }
  }
  const index = body as { product?: string; version?: string };
  if (index.product !== 'Kuma' && !(index.version ?? '').includes('preview')) {
    return `this CLI is for Kuma but the control plane you're connected to is ${index.product ?? ''}. Please use the CLI for your control plane`;
  }
  return undefined;
}

/** A resource as kumactl's remote store PUTs it (`rest.From.Resource`): zero times included. */
function asKumactlSends(resource: Record<string, unknown>): string {
  return JSON.stringify({
    creationTime: '0001-01-01T00:00:00Z',
    modificationTime: '0001-01-01T00:00:00Z',
    ...resource,
  });
}

describe('the Kuma handshake and the default mesh (standalone)', () => {
  const adminToken = randomBytes(24).toString('hex');
  const secretKey = randomBytes(32).toString('base64');
  let dir: TempDir;
  let cp: StandaloneControlPlane;

  const start = (env: Record<string, string> = {}) =>
    startStandaloneControlPlane(dir.path, {
      MESH_SKIP_DEFAULT_MESH: 'false',
      MESH_INSTANCE_ID: 'cp-handshake',
      MESH_ADMIN_TOKEN: adminToken,
      MESH_SECRET_KEY: secretKey,
      ...env,
    });
  const call = (method: string, path: string, body?: Record<string, unknown>) =>
    http(method, `${cp.url}${path}`, {
      token: adminToken,
      ...(body ? { body: asKumactlSends(body), contentType: json } : {}),
    });

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-handshake-');
    cp = await start();
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
  });

  it("answers GET / with Kuma's index, which kumactl 2.14.3 accepts without a warning", async () => {
    const res = await http('GET', `${cp.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toEqual({
      hostname: hostname(),
      tagline: `meshtls ${VERSION}, Kuma 2.14.3 API`,
      product: 'Kuma',
      version: '2.14.3',
      instanceId: 'cp-handshake',
      clusterId: expect.stringMatching(UUID),
      gui: '',
      basedOnKuma: '2.14.3',
      meshtls: { product: 'meshtls', version: VERSION },
    });
    // kumactl's own check (`config control-planes add`): it reads the body and accepts only a Kuma product.
    expect(kumactlControlPlanesAdd(res.status, res.json)).toBeUndefined();
    // The check has teeth: another product is refused, as kumactl refuses Kong Mesh.
    expect(kumactlControlPlanesAdd(res.status, { ...res.json, product: 'meshtls' })).toBe(
      "this CLI is for Kuma but the control plane you're connected to is meshtls. Please use the CLI for your control plane",
    );
    // kumactl prints a warning before every command unless the product and version are its own.
    expect(res.json).toMatchObject({ product: 'Kuma', version: '2.14.3' });

    // Open to anyone whatever credentials come along, as Kuma's index (kumactl calls it before every command).
    const withBadToken = await http('GET', `${cp.url}/`, { token: 'not-the-token' });
    expect(withBadToken.status).toBe(200);
    expect(withBadToken.json).toEqual(res.json);
  });

  it('keeps its cluster id across a restart', async () => {
    const before = (await http('GET', `${cp.url}/`)).json.clusterId;
    await cp.stop();
    cp = await start();
    expect((await http('GET', `${cp.url}/`)).json.clusterId).toBe(before);
  });

  it('answers GET /config in the layout of Kuma, and never with a credential', async () => {
    const res = await http('GET', `${cp.url}/config`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      environment: 'universal',
      mode: 'zone',
      general: { workDir: dir.path },
      store: { type: 'sqlite', secretKey: '*****' },
      apiServer: {
        http: { enabled: true, port: Number(new URL(cp.url).port) },
        auth: { adminToken: '*****' },
      },
      dpServer: { port: Number(cp.dpAddress.split(':')[1]) },
      defaults: { skipMeshCreation: false },
    });
    expect(res.text).not.toContain(adminToken);
    expect(res.text).not.toContain(secretKey);

    expect((await http('GET', `${cp.url}/config`, { token: 'not-the-token' })).status).toBe(401);
    const post = await http('POST', `${cp.url}/config`, { body: '{}', contentType: json });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('starts with the default mesh, mTLS off and nothing inside it, as Kuma', async () => {
    const meshes = await call('GET', '/meshes');
    expect(meshes.json).toMatchObject({ total: 1, items: [{ type: 'Mesh', name: 'default' }] });
    const mesh = await call('GET', '/meshes/default');
    expect(mesh.status).toBe(200);
    expect(mesh.json).not.toHaveProperty('mtls');
    for (const collection of ['dataplanes', 'meshtrafficpermissions', 'secrets']) {
      expect((await call('GET', `/meshes/default/${collection}`)).json.total).toBe(0);
    }
  });

  it('answers every path kumactl 2.14 calls for get, apply, inspect, generate and delete', async () => {
    const mtp = {
      type: 'MeshTrafficPermission',
      mesh: 'shop',
      name: 'allow-web',
      spec: {
        targetRef: { kind: 'Mesh' },
        from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
      },
    };
    const dataplane = {
      type: 'Dataplane',
      mesh: 'shop',
      name: 'web-1',
      networking: {
        address: '127.0.0.1',
        inbound: [{ port: 8080, servicePort: 8081, tags: { 'kuma.io/service': 'web' } }],
      },
    };
    const secret = { type: 'Secret', mesh: 'shop', name: 'db-pass', data: 'c2VjcmV0' };
    const globalSecret = { type: 'GlobalSecret', name: 'license', data: 'bGljZW5zZQ==' };
    // kumactl's token request: tags null when none are given, Go's duration for validFor (its `workload`
    // field is left out here: see the test of the request exactly as kumactl sends it).
    const tokenRequest = { name: 'web-1', mesh: 'shop', tags: null, type: '', validFor: '24h0m0s' };

    const steps: [string, string, Record<string, unknown>?][] = [
      // every command first: CheckCompatibility
      ['GET', '/'],
      // apply: the remote store reads the item, then PUTs it
      ['GET', '/meshes/shop'],
      ['PUT', '/meshes/shop', { type: 'Mesh', name: 'shop' }],
      ['GET', '/meshes/shop/dataplanes/web-1'],
      ['PUT', '/meshes/shop/dataplanes/web-1', dataplane],
      ['PUT', '/meshes/shop/dataplanes/web-1', dataplane],
      ['PUT', '/meshes/shop/meshtrafficpermissions/allow-web', mtp],
      ['PUT', '/meshes/shop/secrets/db-pass', secret],
      ['PUT', '/globalsecrets/license', globalSecret],
      // get (list and one)
      ['GET', '/meshes'],
      ['GET', '/meshes/shop'],
      ['GET', '/meshes/shop/dataplanes?size=100'],
      ['GET', '/meshes/shop/dataplanes/web-1'],
      ['GET', '/meshes/shop/meshtrafficpermissions'],
      ['GET', '/meshes/shop/meshtrafficpermissions/allow-web'],
      ['GET', '/meshes/shop/secrets'],
      ['GET', '/meshes/shop/secrets/db-pass'],
      ['GET', '/globalsecrets'],
      ['GET', '/globalsecrets/license'],
      // inspect meshes, inspect dataplanes
      ['GET', '/mesh-insights'],
      ['GET', '/meshes/shop/dataplanes/_overview'],
      // not applicable (Envoy's admin, ServiceInsights; kumactl's `-resources` Kuma does not serve either):
      // a Kuma error kumactl prints
      ['GET', '/meshes/shop/dataplanes/web-1/policies'],
      ['GET', '/meshes/shop/dataplanes/web-1/xds?include_eds=false'],
      ['GET', '/meshes/shop/meshtrafficpermissions/allow-web/-resources/dataplanes'],
      ['GET', '/meshes/shop/service-insights'],
      // generate dataplane-token
      ['POST', '/tokens/dataplane', tokenRequest],
      // export (resource types)
      ['GET', '/_resources'],
      // delete
      ['DELETE', '/meshes/shop/meshtrafficpermissions/allow-web'],
      ['DELETE', '/meshes/shop/dataplanes/web-1'],
      ['DELETE', '/meshes/shop/secrets/db-pass'],
      ['DELETE', '/globalsecrets/license'],
      ['DELETE', '/meshes/shop'],
      // after delete, kumactl reads a 404 as "not found" (`there is no Mesh with name "shop"`)
      ['GET', '/meshes/shop'],
      ['GET', '/globalsecrets/license'],
      ['DELETE', '/meshes/shop'],
    ];
    const answers: string[] = [];
    for (const [method, path, body] of steps) {
      const res =
        method === 'POST'
          ? await http('POST', `${cp.url}${path}`, {
              token: adminToken,
              body: JSON.stringify(body),
              contentType: json,
            })
          : await call(method, path, body);
      // kumactl's remote store takes an error body with a title as Kuma's error, and prints it.
      const kumaError = res.json?.type === '/std-errors' && typeof res.json?.title === 'string';
      answers.push(
        `${method} ${path} ${res.status}${res.status >= 400 && !kumaError ? ' (not a Kuma error)' : ''}`,
      );
    }
    expect(answers).toEqual([
      'GET / 200',
      'GET /meshes/shop 404',
      'PUT /meshes/shop 201',
      'GET /meshes/shop/dataplanes/web-1 404',
      'PUT /meshes/shop/dataplanes/web-1 201',
      'PUT /meshes/shop/dataplanes/web-1 200',
      'PUT /meshes/shop/meshtrafficpermissions/allow-web 201',
      'PUT /meshes/shop/secrets/db-pass 201',
      'PUT /globalsecrets/license 201',
      'GET /meshes 200',
      'GET /meshes/shop 200',
      'GET /meshes/shop/dataplanes?size=100 200',
      'GET /meshes/shop/dataplanes/web-1 200',
      'GET /meshes/shop/meshtrafficpermissions 200',
      'GET /meshes/shop/meshtrafficpermissions/allow-web 200',
      'GET /meshes/shop/secrets 200',
      'GET /meshes/shop/secrets/db-pass 200',
      'GET /globalsecrets 200',
      'GET /globalsecrets/license 200',
      'GET /mesh-insights 200',
      'GET /meshes/shop/dataplanes/_overview 200',
      'GET /meshes/shop/dataplanes/web-1/policies 404',
      'GET /meshes/shop/dataplanes/web-1/xds?include_eds=false 404',
      'GET /meshes/shop/meshtrafficpermissions/allow-web/-resources/dataplanes 404',
      'GET /meshes/shop/service-insights 404',
      'POST /tokens/dataplane 200',
      'GET /_resources 200',
      'DELETE /meshes/shop/meshtrafficpermissions/allow-web 200',
      'DELETE /meshes/shop/dataplanes/web-1 200',
      'DELETE /meshes/shop/secrets/db-pass 200',
      'DELETE /globalsecrets/license 200',
      'DELETE /meshes/shop 200',
      'GET /meshes/shop 404',
      'GET /globalsecrets/license 404',
      'DELETE /meshes/shop 404',
    ]);
  });

  // kumactl 2.14 always sends `workload` (empty unless --workload) and `tags: null` when none are given.
  it('issues a dataplane token for the request exactly as kumactl 2.14 sends it', async () => {
    const body = { name: 'web-1', mesh: 'default', tags: null, type: '', workload: '', validFor: '24h0m0s' };
    const res = await http('POST', `${cp.url}/tokens/dataplane`, {
      token: adminToken,
      body: JSON.stringify(body),
      contentType: json,
    });
    expect(res.status).toBe(200);
    expect(res.text.split('.')).toHaveLength(3);
  });

  it('serves GlobalSecrets at /globalsecrets and /global-secrets alike', async () => {
    const put = await call('PUT', '/globalsecrets/shared', {
      type: 'GlobalSecret',
      name: 'shared',
      data: 'eA==',
    });
    expect(put.status).toBe(201);
    const viaAlternative = await call('GET', '/global-secrets/shared');
    expect(viaAlternative.json).toMatchObject({ type: 'GlobalSecret', name: 'shared', data: 'eA==' });
    const list = await call('GET', '/globalsecrets');
    expect(list.json).toMatchObject({ total: 1, items: [{ name: 'shared' }], next: null });
    const post = await call('POST', '/globalsecrets/shared');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, PUT, DELETE');
    expect((await call('DELETE', '/globalsecrets/shared')).status).toBe(200);
  });

  it("lists the resource types as kumactl export reads them, under Kuma's names and paths", async () => {
    const res = await http('GET', `${cp.url}/_resources`);
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(
      (res.json.resources as { name: string; path: string; scope: string }[]).map((r) => [
        r.name,
        `${r.scope} ${r.path}`,
      ]),
    );
    expect(byName).toMatchObject({
      Mesh: 'Global meshes',
      GlobalSecret: 'Global globalsecrets',
      Secret: 'Mesh secrets',
      Dataplane: 'Mesh dataplanes',
      MeshTrafficPermission: 'Mesh meshtrafficpermissions',
    });
    // Every listed path answers its list.
    for (const r of res.json.resources as { path: string; scope: string }[]) {
      const path = r.scope === 'Mesh' ? `/meshes/default/${r.path}` : `/${r.path}`;
      expect(`${path} ${(await call('GET', path)).status}`).toBe(`${path} 200`);
    }
  });

  it('makes the default mesh again on a restart after it was deleted, as Kuma; an existing one is kept', async () => {
    expect((await call('DELETE', '/meshes/default')).status).toBe(200);
    expect((await call('GET', '/meshes/default')).status).toBe(404);
    await cp.stop();
    cp = await start();
    const again = await call('GET', '/meshes/default');
    expect(again.status).toBe(200);

    await cp.stop();
    cp = await start();
    const kept = await call('GET', '/meshes/default');
    expect(kept.json).toEqual(again.json);
  });
});

describe('MESH_SKIP_DEFAULT_MESH=true (standalone)', () => {
  let dir: TempDir;
  let cp: StandaloneControlPlane | undefined;

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-no-default-');
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
  });

  it('starts with no mesh at all, restart after restart', async () => {
    for (let i = 0; i < 2; i++) {
      cp = await startStandaloneControlPlane(dir.path, { MESH_SKIP_DEFAULT_MESH: 'true' });
      expect((await http('GET', `${cp.url}/meshes`)).json).toEqual({ total: 0, items: [], next: null });
      expect((await http('GET', `${cp.url}/config`)).json.defaults).toEqual({ skipMeshCreation: true });
      await cp.stop();
      cp = undefined;
    }
  });

  it('refuses to start on a value that is not true or false, naming the variable', async () => {
    await expect(startStandaloneControlPlane(dir.path, { MESH_SKIP_DEFAULT_MESH: 'yes' })).rejects.toThrow(
      /MESH_SKIP_DEFAULT_MESH: must be "true" or "false"/,
    );
  });
});

describe('the default mesh and the handshake (distributed)', () => {
  let topology: Topology;
  let replicas: Replica[];

  beforeAll(async () => {
    topology = await Topology.start({}, { MESH_SKIP_DEFAULT_MESH: 'false' });
    // Three mesh-api replicas starting together on an empty store.
    replicas = await Promise.all([1, 2, 3].map((i) => topology.startReplica('mesh-api', `mesh-api-${i}`)));
  });

  afterAll(async () => {
    await topology?.stop();
  });

  it('has one default mesh, made by one of the replicas starting together; none failed', async () => {
    for (const replica of replicas) {
      const meshes = await http('GET', `${replica.url}/meshes`, { token: topology.adminToken });
      expect(meshes.json).toMatchObject({ total: 1, items: [{ type: 'Mesh', name: 'default' }] });
      expect(replica.process.logs).not.toMatch(/could not create the default Mesh|"level":50/);
      expect((await fetch(`${replica.url}/health/ready`)).status).toBe(200);
    }
  });

  it('reads GlobalSecrets at /globalsecrets for the admin only, as Kuma', async () => {
    const url = replicas[0]!.url;
    const put = await http('PUT', `${url}/globalsecrets/shared`, {
      token: topology.adminToken,
      body: asKumactlSends({ type: 'GlobalSecret', name: 'shared', data: 'eA==' }),
      contentType: json,
    });
    expect(put.status).toBe(201);
    const anonymous = await http('GET', `${replicas[1]!.url}/globalsecrets/shared`);
    expect(anonymous.status).toBe(403);
    expect(anonymous.text).not.toContain('eA==');
    const admin = await http('GET', `${replicas[1]!.url}/globalsecrets/shared`, {
      token: topology.adminToken,
    });
    expect(admin.json).toMatchObject({ type: 'GlobalSecret', name: 'shared', data: 'eA==' });
  });

  it('gives every replica its own instance id and one cluster id', async () => {
    const indexes = await Promise.all(replicas.map(async (r) => (await http('GET', `${r.url}/`)).json));
    expect(indexes.map((i) => i.instanceId)).toEqual(['mesh-api-1', 'mesh-api-2', 'mesh-api-3']);
    expect(new Set(indexes.map((i) => i.clusterId)).size).toBe(1);
    expect(indexes[0].clusterId).toMatch(UUID);
  });

  it('shows its configuration without the NATS password, the Redis password, the admin token or the key', async () => {
    const res = await http('GET', `${replicas[0]!.url}/config`);
    expect(res.status).toBe(200);
    expect(res.json.store).toMatchObject({
      type: 'nats',
      nats: { user: 'mesh-api', password: '*****' },
      redis: { password: '*****' },
      secretKey: '*****',
    });
    expect(res.json.meshtls).toMatchObject({ runMode: 'distributed' });
    for (const secret of [
      topology.natsUser('mesh-api').pass,
      topology.redis.password!,
      topology.adminToken,
      topology.secretKey,
    ]) {
      expect(res.text).not.toContain(secret);
    }
  });
});
