import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  startStandaloneControlPlane,
  tempDir,
  type StandaloneControlPlane,
  type TempDir,
} from '@meshtls/testing';
import { FakeClock } from '@meshtls/util';
import { runCli } from './test-support/run-cli';

const RESOURCES = `type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
    - name: ca-1
      type: builtin
      conf:
        caCert:
          RSAbits: 2048
          expiration: 10y
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
name: allow-backend
spec:
  targetRef:
    kind: MeshService
    name: web
  from:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        action: Allow
`;

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/**
 * meshctl's commands against the real standalone control plane (the built `control-plane` process from
 * dist, `npm run build` first): what the other int-specs check against a recording double, here with the
 * real API's validation, stores, CA and insights answering. The tests run in order, on what the first
 * one applied.
 */
describe('meshctl against a real standalone control plane', () => {
  let dir: TempDir;
  let cp: StandaloneControlPlane;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await tempDir('meshctl-cp-');
    cp = await startStandaloneControlPlane(join(dir.path, 'data'));
    // HOME without a config file: the address comes from the environment only.
    env = { MESHCTL_API_ADDRESS: cp.url, HOME: dir.path };
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
  });

  /** A clock `ms` after the Mesh was created (as the API reports it), so AGE columns are exact. */
  async function clockAfterCreation(ms: number): Promise<FakeClock> {
    const mesh = await runCli(['get', 'mesh', 'default', '-o', 'json'], { env });
    const clock = new FakeClock(JSON.parse(mesh.stdout).creationTime);
    clock.advance(ms);
    return clock;
  }

  it('applies a file, and get shows what the API stored', async () => {
    const file = join(dir.path, 'resources.yaml');
    await writeFile(file, RESOURCES);
    expect(await runCli(['apply', '-f', file], { env })).toEqual({
      code: 0,
      stdout:
        'Mesh "default" created\n' +
        'Dataplane "web-1" in mesh "default" created\n' +
        'MeshTrafficPermission "allow-backend" in mesh "default" created\n',
      stderr: '',
    });

    const stored = await runCli(['get', 'mesh', 'default', '-o', 'json'], { env });
    expect(stored.code).toBe(0);
    expect(JSON.parse(stored.stdout)).toMatchObject({
      type: 'Mesh',
      name: 'default',
      mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
    });

    // 2h30m: the resources were created within moments of each other, so every AGE reads 2h.
    const clock = await clockAfterCreation(150 * 60 * 1000);
    expect(await runCli(['get', 'meshes'], { env, clock })).toEqual({
      code: 0,
      stdout: 'NAME      mTLS           BACKENDS   AGE\ndefault   builtin/ca-1   ca-1       2h\n',
      stderr: '',
    });
    const dataplanes = await runCli(['get', 'dataplanes', '--mesh', 'default'], { env, clock });
    expect(dataplanes.stdout.split('\n')[1]).toMatch(
      /^default\s+web-1\s+127\.0\.0\.1\s+kuma\.io\/service=web\s+2h$/,
    );
    const mtp = await runCli(['get', 'mtp', 'allow-backend', '--mesh', 'default', '-o', 'yaml'], { env });
    expect(mtp.stdout).toContain('name: allow-backend\n');
    expect(mtp.stdout).toContain('kind: MeshService\n    name: web\n');

    // The ca-signer role made the builtin CA when the Mesh was stored: its secret exists now.
    const secrets = await runCli(['get', 'secrets', '--mesh', 'default', '-o', 'json'], { env });
    expect(JSON.parse(secrets.stdout).items.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining(['default.ca-builtin-cert-ca-1', 'default.ca-builtin-key-ca-1']),
    );

    const again = await runCli(['apply', '-f', file], { env });
    expect(again.stdout).toBe(
      'Mesh "default" updated\n' +
        'Dataplane "web-1" in mesh "default" updated\n' +
        'MeshTrafficPermission "allow-backend" in mesh "default" updated\n',
    );
  });

  it('inspects what the control plane observed: the mesh CA and a dataplane never connected', async () => {
    const clock = await clockAfterCreation(60_000);
    const meshes = await runCli(['inspect', 'meshes'], { env, clock });
    expect(meshes.code).toBe(0);
    const [header, row] = meshes.stdout.split('\n');
    expect(header).toMatch(
      /^MESH\s+DATAPLANES\s+TRAFFIC PERMISSIONS\s+TRAFFIC ROUTES\s+CIRCUIT BREAKERS\s+HEALTH CHECKS\s+FAULT INJECTIONS\s+EXTERNAL SERVICES\s+TRAFFIC TRACES\s+TRAFFIC LOGS\s+PROXY TEMPLATES\s+RATE LIMITS\s+MESH TRAFFIC PERMISSIONS\s+ISSUED BACKENDS\s+CA EXPIRATION\s+CA SWITCH$/,
    );
    const cells = row.split(/\s+/);
    // online/total dataplanes, kumactl's (older) policy kinds, the one MeshTrafficPermission, no certificate.
    expect(cells.slice(0, 14)).toEqual(['default', '0/1', ...Array<string>(10).fill('0'), '1', '-']);
    // The real CA's notAfter: 10 years (caCert.expiration) after the Mesh was created, a local time.
    const created = clock.now().getTime() - 60_000;
    const caExpiry = new Date(`${cells[14]}T${cells[15]}`).getTime();
    expect(Math.abs(caExpiry - (created + TEN_YEARS_MS))).toBeLessThan(3 * DAY_MS);
    // Never switched CA: no mTLS.caSwitch in the insight.
    expect(cells.slice(16)).toEqual(['-']);

    const dataplanes = await runCli(['inspect', 'dataplanes', '--mesh', 'default'], { env, clock });
    expect(dataplanes.code).toBe(0);
    // Never connected, no certificate: kumactl's `never`, zero counts and `-`.
    expect(dataplanes.stdout.split('\n')[1]).toMatch(
      /^default\s+web-1\s+kuma\.io\/service=web\s+Offline\s+never\s+never\s+0\s+0\s+never\s+-\s+0\s+-\s+-\s*$/,
    );
  });

  it('refuses an invalid resource with the API field errors, exit code 1, and stores nothing', async () => {
    const broken = 'type: Mesh\nname: broken\nmtls:\n  enabledBackend: nope\n  backends: []\n';
    const result = await runCli(['apply', '-f', '-'], { env, stdin: broken });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'Error: Resource is not valid\n' +
        '  * mtls.enabledBackend: has to be set to one of the backends in the mesh\n' +
        'Failed on <stdin> (Mesh "broken")\n' +
        'Nothing was applied.\n',
    );
    const lookup = await runCli(['get', 'mesh', 'broken'], { env });
    expect(lookup.code).toBe(1);
    expect(lookup.stderr).toMatch(/not found/i);
    expect((await runCli(['get', 'meshes', '-o', 'json'], { env })).stdout).not.toContain('broken');
  });
});
