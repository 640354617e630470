import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AppProcess, freePort, tempDir, type TempDir } from '@meshtls/testing';
import { http } from '../support/cli';

/**
 * Kuma 2.14.3's MeshTrafficPermission validator tests, as data (`e2e/kuma-compat/mesh-traffic-permission`),
 * PUT one by one to a standalone control plane as a Kuma user would: accepted policies are stored and
 * read back as written, refused ones answer Kuma's error body with exactly Kuma's violations.
 */
interface Violation {
  readonly field: string;
  readonly message: string;
}
interface CompatCase {
  readonly name: string;
  readonly spec: Record<string, unknown>;
  readonly kuma: { readonly violations: Violation[] };
  readonly difference?: { readonly reason: string; readonly meshtls: { readonly violations: Violation[] } };
}

const FILE = join(__dirname, '../kuma-compat/mesh-traffic-permission/validator.yaml');
const cases = (parseYaml(readFileSync(FILE, 'utf8')) as { cases: CompatCase[] }).cases;
const expectedOf = (c: CompatCase) => c.difference?.meshtls.violations ?? c.kuma.violations;
/** Each case gets its own policy name, so an accepted one is a creation and a refused one is never stored. */
const numbered = (list: CompatCase[]) => list.map((c) => [c.name, c, `mtp-${cases.indexOf(c)}`] as const);

describe("Kuma 2.14 MeshTrafficPermission validator cases, over a standalone control plane's REST API", () => {
  let dir: TempDir;
  let cp: AppProcess;
  let base: string;
  const path = (name: string) => `${base}/meshes/default/meshtrafficpermissions/${name}`;
  const document = (name: string, spec: Record<string, unknown>) => ({
    type: 'MeshTrafficPermission',
    mesh: 'default',
    name,
    spec,
  });
  const put = (name: string, spec: Record<string, unknown>) =>
    http('PUT', path(name), { body: JSON.stringify(document(name, spec)), contentType: 'application/json' });

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-kuma-mtp-validation-');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cp = await AppProcess.start('control-plane', { MESH_DATA_DIR: dir.path, MESH_HTTP_PORT: String(port) });
    const mesh = await http('PUT', `${base}/meshes/default`, {
      body: JSON.stringify({ type: 'Mesh', name: 'default' }),
      contentType: 'application/json',
    });
    expect([200, 201]).toContain(mesh.status);
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
  });

  it('runs every case of the file', () => {
    expect(cases).toHaveLength(16);
  });

  it.each(numbered(cases.filter((c) => expectedOf(c).length === 0)))(
    'accepts and stores: %s',
    async (_name, c, name) => {
      const created = await put(name, c.spec);
      expect(created.status).toBe(201);
      const read = await http('GET', path(name));
      expect(read.status).toBe(200);
      expect(read.json).toMatchObject({ type: 'MeshTrafficPermission', mesh: 'default', name });
      expect(read.json.spec).toEqual(c.spec);
      // Applied again unchanged, as `kumactl apply` does, it is an update.
      expect((await put(name, c.spec)).status).toBe(200);
    },
  );

  it.each(numbered(cases.filter((c) => expectedOf(c).length > 0)))(
    "refuses with Kuma's violations: %s",
    async (_name, c, name) => {
      if (c.difference !== undefined) {
        // A deliberate difference says why, and still differs from Kuma: one that no longer does is stale.
        expect(c.difference.reason.length).toBeGreaterThan(20);
        expect(c.difference.meshtls.violations).not.toEqual(c.kuma.violations);
      }
      const expected = expectedOf(c);
      const response = await put(name, c.spec);
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({
        type: '/std-errors',
        status: 400,
        title: 'Could not process a resource',
      });
      expect(response.json.causes).toEqual(expected);
      expect(response.json.invalid_parameters).toEqual(
        expected.map((v) => ({ field: v.field, reason: v.message })),
      );
      expect((await http('GET', path(name))).status).toBe(404);
    },
  );
});
