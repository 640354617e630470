import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, freePort, tempDir, type TempDir } from '@meshtls/testing';
import { http, type HttpResult } from '../support/cli';

/**
 * A Kuma 2.14.3 user's requests against a standalone control plane, answered as Kuma answers them: the
 * bodies are compared with Kuma's own golden files (e2e/kuma-compat/api), only the write times normalised.
 */
const GOLDEN_DIR = join(__dirname, '..', 'kuma-compat', 'api');
const golden = (name: string): unknown => JSON.parse(readFileSync(join(GOLDEN_DIR, name), 'utf8'));
const request = (name: string): string => readFileSync(join(GOLDEN_DIR, name), 'utf8');

/** Kuma's golden files were written at the zero time; ours at a real one. */
const ZERO_TIME = '0001-01-01T00:00:00Z';
function normalised(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(normalised);
  if (typeof body !== 'object' || body === null) return body;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    copy[key] =
      (key === 'creationTime' || key === 'modificationTime') && typeof value === 'string'
        ? ZERO_TIME
        : normalised(value);
  }
  return copy;
}

function expectGolden(result: HttpResult, status: number, name: string): void {
  expect({ status: result.status, body: normalised(result.json) }).toEqual({ status, body: golden(name) });
  // Same fields in the same order, as Kuma prints them.
  expect(Object.keys(result.json)).toEqual(Object.keys(golden(name) as object));
}

describe('Kuma 2.14 REST API: errors, bodies, labels and kri', () => {
  let dir: TempDir;
  let cp: AppProcess;
  let base: string;
  const put = (path: string, body: string) =>
    http('PUT', `${base}${path}`, { body, contentType: 'application/json' });
  const get = (path: string) => http('GET', `${base}${path}`);
  const del = (path: string) => http('DELETE', `${base}${path}`);

  const dataplane = (mesh: string, name: string) =>
    JSON.stringify({
      type: 'Dataplane',
      mesh,
      name,
      networking: { address: '10.1.2.1', inbound: [{ port: 1234, tags: { 'kuma.io/service': 'my-svc' } }] },
    });

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-kuma-api-');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cp = await AppProcess.start('control-plane', { MESH_DATA_DIR: dir.path, MESH_HTTP_PORT: String(port) });
    const mesh = await put('/meshes/default', JSON.stringify({ type: 'Mesh', name: 'default' }));
    expect([200, 201]).toContain(mesh.status);
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
  });

  it('answers a PUT with {} and renders a Mesh with its kri (put_meshes)', async () => {
    const created = await put('/meshes/new-mesh', request('put_meshes_02.request.json'));
    expect(created.status).toBe(201);
    expect(created.json).toEqual(golden('put_meshes_02.golden.json'));
    const updated = await put('/meshes/new-mesh', request('put_meshes_02.request.json'));
    expect(updated.status).toBe(200);
    expect(updated.json).toEqual({});
    expectGolden(await get('/meshes/default'), 200, 'put_meshes_00.golden.json');
  });

  it('adds the labels Kuma computes to a Secret and a GlobalSecret (put_secret, put_globalsecret)', async () => {
    const secret = await put('/meshes/default/secrets/sec-1', request('put_secret_00.request.json'));
    expect({ status: secret.status, body: secret.json }).toEqual({
      status: 201,
      body: golden('put_secret_00.golden.json'),
    });
    expectGolden(await get('/meshes/default/secrets/sec-1'), 200, 'put_secret_01.golden.json');

    const global = await put('/global-secrets/sec-1', request('put_globalsecret_00.request.json'));
    expect({ status: global.status, body: global.json }).toEqual({
      status: 201,
      body: golden('put_globalsecret_00.golden.json'),
    });
    expectGolden(await get('/global-secrets/sec-1'), 200, 'put_globalsecret_01.golden.json');
  });

  it('renders an updated Dataplane with its labels and kri (put_update_dataplanes)', async () => {
    expect((await put('/meshes/default/dataplanes/dp-1', dataplane('default', 'dp-1'))).status).toBe(201);
    const updated = await put(
      '/meshes/default/dataplanes/dp-1',
      request('put_update_dataplanes_00.request.json'),
    );
    expect({ status: updated.status, body: updated.json }).toEqual({
      status: 200,
      body: golden('put_update_dataplanes_00.golden.json'),
    });
    expectGolden(await get('/meshes/default/dataplanes/dp-1'), 200, 'put_update_dataplanes_01.golden.json');
    const listed = await get('/meshes/default/dataplanes');
    expect(normalised(listed.json)).toEqual({
      total: 1,
      items: [golden('put_update_dataplanes_01.golden.json')],
      next: null,
    });
  });

  it("checks a new Dataplane's workload label as Kuma (workload_label_validation)", async () => {
    const valid = await put(
      '/meshes/default/dataplanes/dp-valid',
      request('workload_label_validation_00.request.json'),
    );
    expect({ status: valid.status, body: valid.json }).toEqual({
      status: 201,
      body: golden('workload_label_validation_00.golden.json'),
    });
    expectGolden(
      await put(
        '/meshes/default/dataplanes/dp-invalid',
        request('workload_label_validation_01.request.json'),
      ),
      400,
      'workload_label_validation_01.golden.json',
    );
    expectGolden(
      await put(
        '/meshes/default/dataplanes/dp-invalid2',
        request('workload_label_validation_02.request.json'),
      ),
      400,
      'workload_label_validation_02.golden.json',
    );
    expect((await get('/meshes/default/dataplanes/dp-invalid')).status).toBe(404);
    expect((await del('/meshes/default/dataplanes/dp-valid')).status).toBe(200);
  });

  it('finds a resource by its kri (get_resource_by_kri)', async () => {
    const byPath = await get('/meshes/default/dataplanes/dp-1');
    const byKri = await get(`/_kri/${byPath.json.kri}`);
    expect(byKri.status).toBe(200);
    expect(byKri.json).toEqual(byPath.json);
    expect((await get('/_kri/kri_m____default_')).json).toEqual((await get('/meshes/default')).json);
    expectGolden(
      await get('/_kri/kri___default_default__mtp-3_'),
      400,
      'get_resource_by_kri_bad-request.golden.json',
    );
    expectGolden(
      await get('/_kri/kri_mtp_default_default__mtp-2_'),
      404,
      'get_resource_by_kri_not-found.golden.json',
    );
  });

  it("refuses bad labels with Kuma's body (put_mtp_02, resource_400onmeshlabeldiffer)", async () => {
    expectGolden(
      await put('/meshes/default/meshtrafficpermissions/sample', request('put_mtp_02.request.json')),
      400,
      'put_mtp_02.golden.json',
    );
    const otherMesh = JSON.stringify({
      type: 'MeshTrafficPermission',
      mesh: 'default',
      name: 'mtp-1',
      labels: { 'kuma.io/mesh': 'some-other-mesh', 'kuma.io/origin': 'zone' },
      spec: {
        targetRef: { kind: 'Mesh' },
        from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
      },
    });
    expectGolden(
      await put('/meshes/default/meshtrafficpermissions/mtp-1', otherMesh),
      400,
      'resource_400onmeshlabeldiffer.golden.json',
    );
    expect((await get('/meshes/default/meshtrafficpermissions/mtp-1')).status).toBe(404);
  });

  it('keeps origin, zone and display name as they were created (put_immutable_origin, put_immutable_displayname)', async () => {
    const permission = (name: string, labels: Record<string, string>) =>
      JSON.stringify({
        type: 'MeshTrafficPermission',
        mesh: 'default',
        name,
        labels,
        spec: {
          targetRef: { kind: 'Mesh' },
          from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
        },
      });
    const path = '/meshes/default/meshtrafficpermissions/ext-svc';
    expect((await put(path, permission('ext-svc', { 'kuma.io/origin': 'zone' }))).json).toEqual({});
    expectGolden(
      await put(path, permission('ext-svc', { 'kuma.io/origin': 'global' })),
      400,
      'put_immutable_origin_01.golden.json',
    );
    const named = '/meshes/default/meshtrafficpermissions/named';
    const created = await put(
      named,
      permission('named', { 'kuma.io/origin': 'zone', 'kuma.io/display-name': 'my-display-name' }),
    );
    expect(created.status).toBe(201);
    expectGolden(
      await put(
        named,
        permission('named', { 'kuma.io/origin': 'zone', 'kuma.io/display-name': 'different-display-name' }),
      ),
      400,
      'put_immutable_displayname_01.golden.json',
    );
    const read = await get(named);
    expect(read.json.kri).toBe('kri_mtp_default_default__my-display-name_');
    expect(read.json.labels['kuma.io/display-name']).toBe('my-display-name');
  });

  it("keeps a user's labels on every type and shows them beside Kuma's", async () => {
    const labels = { team: 'payments', 'example.com/tier': 'gold' };
    const mtp = JSON.stringify({
      type: 'MeshTrafficPermission',
      mesh: 'default',
      name: 'labelled',
      labels,
      spec: {
        targetRef: { kind: 'Mesh' },
        from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
      },
    });
    expect((await put('/meshes/default/meshtrafficpermissions/labelled', mtp)).status).toBe(201);
    const read = await get('/meshes/default/meshtrafficpermissions/labelled');
    expect(read.json).toMatchObject({
      labels: {
        ...labels,
        'kuma.io/env': 'universal',
        'kuma.io/mesh': 'default',
        'kuma.io/origin': 'zone',
        'kuma.io/zone': 'default',
      },
      kri: 'kri_mtp_default_default__labelled_',
      spec: { targetRef: { kind: 'Mesh' } },
    });
    expect(read.json.spec).not.toHaveProperty('labels');

    const mesh = JSON.stringify({ type: 'Mesh', name: 'labelled', labels });
    expect((await put('/meshes/labelled', mesh)).status).toBe(201);
    expect((await get('/meshes/labelled')).json).toMatchObject({ labels, kri: 'kri_m____labelled_' });
    expect((await get('/meshes?size=1000')).json.items).toContainEqual(expect.objectContaining({ labels }));
  });

  it('answers a missing resource and a missing mesh as Kuma (get_resource_not-found, list_mesh_doesnt_exist)', async () => {
    expectGolden(
      await get('/meshes/default/meshtrafficpermissions/mtp-1'),
      404,
      'get_resource_not-found.golden.json',
    );
    expectGolden(
      await get('/meshes/not-a-mesh/meshtrafficpermissions'),
      404,
      'list_mesh_doesnt_exist_not_found.golden.json',
    );
    const format = await get('/meshes/default?format=yaml');
    const reason = '"format" must be one of ["k8s", "kubernetes", "universal"]';
    expect({ status: format.status, body: format.json }).toEqual({
      status: 400,
      body: {
        type: '/std-errors',
        status: 400,
        title: 'Could not retrieve a resource',
        detail: 'Resource is not valid',
        invalid_parameters: [{ field: '', reason }],
        details: 'Resource is not valid',
        causes: [{ field: '', message: reason }],
      },
    });
    expect((await get('/meshes/default?format=universal')).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/meshes/not-a-mesh/dataplanes/dp-1'],
      ['PUT', '/meshes/not-a-mesh/dataplanes/dp-1'],
      ['DELETE', '/meshes/not-a-mesh/dataplanes/dp-1'],
    ] as const) {
      const result = await http(method, `${base}${path}`, {
        body: method === 'PUT' ? dataplane('not-a-mesh', 'dp-1') : undefined,
        contentType: method === 'PUT' ? 'application/json' : undefined,
      });
      expectGolden(result, 404, 'list_mesh_doesnt_exist_not_found.golden.json');
    }
  });

  it('refuses to delete a mesh with dataplanes, then deletes it with its Secrets (delete_meshes)', async () => {
    expect((await put('/meshes/mesh-1', JSON.stringify({ type: 'Mesh', name: 'mesh-1' }))).status).toBe(201);
    const secret = JSON.stringify({ type: 'Secret', mesh: 'mesh-1', name: 's', data: 'dGVzdAo=' });
    expect((await put('/meshes/mesh-1/secrets/s', secret)).status).toBe(201);
    expect((await put('/meshes/mesh-1/dataplanes/dp-1', dataplane('mesh-1', 'dp-1'))).status).toBe(201);

    const refused = await del('/meshes/mesh-1');
    expect({ status: refused.status, body: refused.json }).toEqual({
      status: 400,
      body: {
        type: '/std-errors',
        status: 400,
        title: 'Could not delete a resource',
        detail: 'Resource is not valid',
        invalid_parameters: [
          { field: 'mesh', reason: 'unable to delete mesh, there are still some dataplanes attached' },
        ],
        details: 'Resource is not valid',
        causes: [
          { field: 'mesh', message: 'unable to delete mesh, there are still some dataplanes attached' },
        ],
      },
    });
    expect((await get('/meshes/mesh-1/secrets/s')).status).toBe(200);

    expectGolden(await del('/meshes/not-a-mesh'), 404, 'delete_meshes_00.golden.json');
    expect((await del('/meshes/mesh-1/dataplanes/dp-1')).json).toEqual({});
    const deleted = await del('/meshes/mesh-1');
    expect({ status: deleted.status, body: deleted.json }).toEqual({
      status: 200,
      body: golden('delete_meshes_01.golden.json'),
    });
    expectGolden(await get('/meshes/mesh-1'), 404, 'delete_meshes_02.golden.json');
    expect((await put('/meshes/mesh-1', JSON.stringify({ type: 'Mesh', name: 'mesh-1' }))).status).toBe(201);
    expect((await get('/meshes/mesh-1/secrets/s')).status).toBe(404);
  });

  it.each([
    ['size=ten', 'invalid format'],
    ['size=0', 'must be greater than 0'],
    ['size=1001', 'invalid page size of 1001. Maximum page size is 1000'],
  ])('refuses a bad page size (%s) as Kuma', async (query, reason) => {
    const result = await get(`/meshes?${query}`);
    expect({ status: result.status, body: result.json }).toEqual({
      status: 400,
      body: {
        type: '/std-errors',
        status: 400,
        title: 'Could not retrieve resources',
        detail: 'Invalid page size',
        invalid_parameters: [{ field: 'size', reason }],
        details: 'Invalid page size',
        causes: [{ field: 'size', message: reason }],
      },
    });
  });

  it('refuses a bad offset with the store’s words, filters by name and keeps the query in next', async () => {
    const bad = await get('/meshes/default/dataplanes?offset=abc');
    const detail = 'invalid: invalid offset: strconv.Atoi: parsing "abc": invalid syntax';
    expect({ status: bad.status, body: bad.json }).toEqual({
      status: 400,
      body: {
        type: '/std-errors',
        status: 400,
        title: 'Could not retrieve resources',
        detail,
        details: detail,
      },
    });
    const first = await get('/meshes?size=1');
    expect(first.json.next).toBe(`${base}/meshes?offset=1&size=1`);
    const named = await get('/meshes?size=1&name=mesh');
    expect(named.json.total).toBe(2);
    expect(named.json.items.map((m: { name: string }) => m.name)).toEqual(['mesh-1']);
    expect(named.json.next).toBe(`${base}/meshes?name=mesh&offset=1&size=1`);
    expect((await http('GET', named.json.next)).json.items.map((m: { name: string }) => m.name)).toEqual([
      'new-mesh',
    ]);
  });
});
