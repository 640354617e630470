import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingApiServer, stdError } from './test-support/recording-api.server';
import { runCli } from './test-support/run-cli';

const MESHES = `type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
    - name: ca-1
      type: builtin
---
type: Dataplane
mesh: default
name: web-1
networking:
  address: 10.0.0.1
  inbound:
    - port: 8080
      tags:
        kuma.io/service: web
`;

describe('meshctl apply against an HTTP API', () => {
  let server: RecordingApiServer;
  let dir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    server = new RecordingApiServer({
      warnings: { '/meshes/default': ['backend "ca-1": RSAbits 1024 is weak'] },
      rejectPut: (path) =>
        path === '/meshes/broken'
          ? stdError(400, 'Failed to create a resource', 'Resource is not valid', [
              { field: 'mtls.enabledBackend', message: 'has to be set to one of the backends in the mesh' },
            ])
          : undefined,
    });
    dir = await mkdtemp(join(tmpdir(), 'meshctl-apply-'));
    env = { MESHCTL_API_ADDRESS: await server.start(), MESHCTL_TOKEN: 'env-token', HOME: dir };
  });

  afterEach(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('PUTs every document of every file (and stdin) to its path, with the token, and says created or updated', async () => {
    const path = await file('mesh.yaml', MESHES);
    const stdin = JSON.stringify({ type: 'MeshTrafficPermission', mesh: 'default', name: 'allow', spec: {} });
    const first = await runCli(['apply', '-f', path, '-f', '-'], { env, stdin });
    expect(first).toEqual({
      code: 0,
      stdout:
        'Mesh "default" created\nDataplane "web-1" in mesh "default" created\n' +
        'MeshTrafficPermission "allow" in mesh "default" created\n',
      stderr: 'Warning: Mesh "default": backend "ca-1": RSAbits 1024 is weak\n',
    });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'PUT /meshes/default',
      'PUT /meshes/default/dataplanes/web-1',
      'PUT /meshes/default/meshtrafficpermissions/allow',
    ]);
    expect(server.requests.every((r) => r.authorization === 'Bearer env-token')).toBe(true);
    expect(server.requests[0].contentType).toBe('application/json');
    expect(server.requests[1].body).toMatchObject({ networking: { inbound: [{ port: 8080 }] } });

    const again = await runCli(['apply', '-f', path], { env });
    expect(again.stdout).toBe('Mesh "default" updated\nDataplane "web-1" in mesh "default" updated\n');
  });

  it('sends nothing when a file has a YAML syntax error, and names the file and line', async () => {
    const good = await file('good.yaml', 'type: Mesh\nname: a\n');
    const bad = await file('bad.yaml', 'type: Mesh\nname: [b\n---\nx: 1\n');
    const result = await runCli(['apply', '-f', good, '-f', bad], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^Error: ${bad}:3:1: invalid YAML: .*; nothing was sent\\n$`));
    expect(server.requests).toEqual([]);
  });

  it('sends nothing when a document lacks its mesh, and lists every problem', async () => {
    const path = await file('m.yaml', 'type: Mesh\nname: a\n---\ntype: Secret\nname: s\n---\nname: x\n');
    const result = await runCli(['apply', '-f', path], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Error: 2 documents are not valid; nothing was sent\n' +
        `  * ${path} (document 2): Secret "s" without "mesh"\n` +
        `  * ${path} (document 3): missing "type"\n`,
    );
    expect(server.requests).toEqual([]);
  });

  it('stops at the first refused document, prints the API field errors and what was applied', async () => {
    const path = await file(
      'm.yaml',
      'type: Mesh\nname: a\n---\ntype: Mesh\nname: broken\n---\ntype: Mesh\nname: c\n',
    );
    const result = await runCli(['apply', '-f', path], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('Mesh "a" created\n');
    expect(result.stderr).toBe(
      'Error: Resource is not valid\n' +
        '  * mtls.enabledBackend: has to be set to one of the backends in the mesh\n' +
        `Failed on ${path} (document 2) (Mesh "broken")\n` +
        'Applied before the failure: Mesh "a"\n' +
        'Not attempted: 1 more document(s)\n',
    );
    expect(server.requests.map((r) => r.url)).toEqual(['/meshes/a', '/meshes/broken']);
  });

  it('--dry-run prints the requests it would make and sends nothing', async () => {
    const path = await file('mesh.yaml', MESHES);
    const result = await runCli(['apply', '-f', path, '--dry-run'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`PUT ${env.MESHCTL_API_ADDRESS}/meshes/default\n{\n  "type": "Mesh",`);
    expect(result.stdout).toContain(`PUT ${env.MESHCTL_API_ADDRESS}/meshes/default/dataplanes/web-1\n`);
    expect(result.stdout).not.toContain('env-token');
    expect(server.requests).toEqual([]);
  });

  it('refuses to run without -f or with a missing file', async () => {
    expect(await runCli(['apply'], { env })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^Error: give at least one file/),
    });
    const missing = await runCli(['apply', '-f', join(dir, 'nope.yaml')], { env });
    expect(missing).toMatchObject({
      code: 1,
      stderr: `Error: cannot read ${join(dir, 'nope.yaml')}: no such file\n`,
    });
  });
});
