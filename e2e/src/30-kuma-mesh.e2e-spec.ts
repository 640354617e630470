import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { AppProcess, freePort, tempDir, type TempDir } from '@meshtls/testing';
import { http, meshctl } from '../support/cli';

/** Kuma 2.14.3's Mesh and CA plugin validator tests, as data (`e2e/kuma-compat/mesh`). */
interface Violation {
  readonly field: string;
  readonly message: string;
}
interface CompatCase {
  readonly name: string;
  readonly mesh: Record<string, unknown>;
  readonly kuma: { readonly violations: Violation[] };
  readonly difference?: { readonly reason: string; readonly meshtls: { readonly violations: Violation[] } };
}

const DATA = join(__dirname, '../kuma-compat/mesh');
const FILES = ['mesh-validator.yaml', 'provided-ca.yaml', 'builtin-ca.yaml'];
const cases = (file: string): CompatCase[] =>
  (parseYaml(readFileSync(join(DATA, file), 'utf8')) as { cases: CompatCase[] }).cases;

/** Every field a Kuma 2.14 Mesh may hold, most of which this control plane stores without acting on. */
const KUMA_MESH = {
  type: 'Mesh',
  name: 'kuma',
  mtls: {
    enabledBackend: 'ca-1',
    skipValidation: false,
    backends: [
      {
        name: 'ca-1',
        type: 'builtin',
        mode: 'PERMISSIVE',
        dpCert: { rotation: { expiration: '1d' }, requestTimeout: '15s' },
        rootChain: { requestTimeout: '10s' },
        conf: { caCert: { RSAbits: 2048, expiration: '10y' } },
      },
    ],
  },
  tracing: {
    defaultBackend: 'zipkin',
    backends: [
      {
        name: 'zipkin',
        type: 'zipkin',
        sampling: 80,
        conf: { url: 'http://zipkin.local:9411/api/v2/spans' },
      },
    ],
  },
  logging: {
    defaultBackend: 'file',
    backends: [{ name: 'file', type: 'file', format: '%START_TIME%', conf: { path: '/tmp/access.log' } }],
  },
  metrics: {
    enabledBackend: 'prom',
    backends: [{ name: 'prom', type: 'prometheus', conf: { port: 5670, path: '/metrics', skipMTLS: true } }],
  },
  networking: { outbound: { passthrough: false } },
  routing: {
    localityAwareLoadBalancing: true,
    zoneEgress: true,
    defaultForbidMeshExternalServiceAccess: true,
  },
  constraints: { dataplaneProxy: { requirements: [{ tags: { 'kuma.io/zone': 'east' } }] } },
  skipCreatingInitialPolicies: ['*'],
  meshServices: { mode: 'Exclusive' },
};

describe("a Kuma 2.14 user's Mesh resources, against a standalone control plane", () => {
  let dir: TempDir;
  let cp: AppProcess;
  let base: string;

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-kuma-mesh-');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cp = await AppProcess.start('control-plane', { MESH_DATA_DIR: dir.path, MESH_HTTP_PORT: String(port) });
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
  });

  const put = (name: string, document: object) =>
    http('PUT', `${base}/meshes/${name}`, {
      body: JSON.stringify(document),
      contentType: 'application/json',
    });

  describe.each(FILES)(
    "answers Kuma's test cases of %s as Kuma does, or as its recorded difference",
    (file) => {
      it.each(cases(file).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
        const response = await put('default', { type: 'Mesh', name: 'default', ...c.mesh });
        const expected = c.difference?.meshtls.violations ?? c.kuma.violations;
        if (c.difference !== undefined) {
          // A deliberate difference says why, and still differs from Kuma: one that no longer does is stale.
          expect(c.difference.reason.length).toBeGreaterThan(20);
          expect(expected).not.toEqual(c.kuma.violations);
        }
        if (expected.length === 0) {
          expect([200, 201]).toContain(response.status);
          return;
        }
        expect(response.status).toBe(400);
        expect(response.json.causes).toEqual(expected);
      });
    },
  );

  it('stores every Kuma Mesh field and gives it back as written, warning about each it does not act on', async () => {
    const response = await put('kuma', KUMA_MESH);
    expect(response.status).toBe(201);
    expect(response.json.warnings ?? []).toEqual([
      'mtls.backends[0].dpCert.requestTimeout: stored, not enforced by meshtls',
      'mtls.backends[0].rootChain: stored, not enforced by meshtls',
      'tracing: stored, not enforced by meshtls',
      'logging: stored, not enforced by meshtls',
      'metrics: stored, not enforced by meshtls',
      'networking: stored, not enforced by meshtls',
      'routing: stored, not enforced by meshtls',
      'constraints: stored, not enforced by meshtls',
      'skipCreatingInitialPolicies: stored, not enforced by meshtls',
      'meshServices: stored, not enforced by meshtls',
    ]);
    const read = await http('GET', `${base}/meshes/kuma`);
    expect(read.status).toBe(200);
    const { creationTime, modificationTime, kri, ...given } = read.json;
    expect(typeof creationTime).toBe('string');
    expect(typeof modificationTime).toBe('string');
    expect(kri).toBe('kri_m____kuma_');
    expect(given).toEqual(KUMA_MESH);
    // What was read is applied back unchanged, as `kumactl get mesh -o yaml | kumactl apply -f -` does.
    expect((await put('kuma', read.json)).status).toBe(200);
  });

  it('leaves out unknown fields as Kuma does, keeps unknown conf fields as Kuma keeps its conf, and says so', async () => {
    const response = await put('loose', {
      type: 'Mesh',
      name: 'loose',
      mtls: {
        enabledBackend: 'ca-1',
        backends: [
          { name: 'ca-1', type: 'builtin', typo: 1, conf: { caCert: { RSAbits: 2048 }, extra: 'kept' } },
        ],
      },
    });
    expect(response.status).toBe(201);
    expect(response.json.warnings ?? []).toEqual([
      'mtls.backends[0].typo: unknown field, ignored (not stored)',
      'mtls.backends[0].conf.extra: not a field of this backend type: stored as given (Kuma keeps it too), not used',
    ]);
    const read = await http('GET', `${base}/meshes/loose`);
    expect(read.json.mtls.backends).toEqual([
      { name: 'ca-1', type: 'builtin', conf: { caCert: { RSAbits: 2048 }, extra: 'kept' } },
    ]);
  });

  it('takes the same Mesh as YAML from meshctl apply, printing the warnings', async () => {
    const yaml = toYaml({ ...KUMA_MESH, name: 'kuma-yaml' });
    const applied = await meshctl(['apply', '-f', '-'], { env: { MESHCTL_API_ADDRESS: base }, stdin: yaml });
    expect(applied.code).toBe(0);
    expect(applied.stderr).toContain('metrics: stored, not enforced by meshtls');
    expect(applied.stderr).toContain('meshServices: stored, not enforced by meshtls');
    const {
      creationTime: _c,
      modificationTime: _m,
      kri: _kri,
      ...given
    } = (await http('GET', `${base}/meshes/kuma-yaml`)).json;
    expect(given).toEqual({ ...KUMA_MESH, name: 'kuma-yaml' });
  });
});
