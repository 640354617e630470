import { RecordingApiServer } from './test-support/recording-api.server';
import { runCli } from './test-support/run-cli';

const meshDoc = (name: string, enabled = '') => ({
  type: 'Mesh',
  name,
  mtls: { enabledBackend: enabled, backends: [{ name: 'ca-1', type: 'builtin' }] },
});

describe('meshctl get and delete against an HTTP API', () => {
  let server: RecordingApiServer;
  let env: Record<string, string>;

  beforeEach(async () => {
    // A page of at most 2 items, so listing 5 meshes needs 3 requests.
    server = new RecordingApiServer({ maxPageSize: 2 });
    env = { MESHCTL_API_ADDRESS: await server.start(), HOME: '/nonexistent' };
    const apply = await runCli(['apply', '-f', '-'], {
      env,
      stdin: [
        ...['default', 'm2', 'm3', 'm4', 'm5'].map((n, i) =>
          JSON.stringify(meshDoc(n, i === 0 ? 'ca-1' : '')),
        ),
        JSON.stringify({
          type: 'Dataplane',
          mesh: 'default',
          name: 'web-1',
          networking: { address: '10.0.0.1', inbound: [{ port: 80, tags: { 'kuma.io/service': 'web' } }] },
        }),
      ].join('\n---\n'),
    });
    expect(apply.code).toBe(0);
    server.requests.length = 0;
  });

  afterEach(() => server.stop());

  it('lists every page by following next (by path, on the configured address) as a table', async () => {
    const result = await runCli(['get', 'meshes'], { env });
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'NAME      mTLS           BACKENDS   AGE',
        'default   builtin/ca-1   ca-1       3h',
        'm2        off            ca-1       3h',
        'm3        off            ca-1       3h',
        'm4        off            ca-1       3h',
        'm5        off            ca-1       3h',
        '',
      ].join('\n'),
    });
    expect(server.requests.map((r) => r.url)).toEqual([
      '/meshes?size=1000',
      '/meshes?offset=2&size=2',
      '/meshes?offset=4&size=2',
    ]);
  });

  it('shows one page when --offset or --size is given, with a hint on stderr', async () => {
    const result = await runCli(['get', 'meshes', '--offset', '1', '--size', '2', '-o', 'table'], { env });
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['NAME', 'm2', 'm3']);
    expect(result.stderr).toBe('Showing 2 of 5; next page: --offset 3 --size 2\n');
    expect(server.requests.map((r) => r.url)).toEqual(['/meshes?offset=1&size=2']);
  });

  it('prints a list as {total, items, next} in json and yaml', async () => {
    const json = JSON.parse((await runCli(['get', 'meshes', '-o', 'json'], { env })).stdout);
    expect(json).toMatchObject({ total: 5, next: null });
    expect(json.items).toHaveLength(5);
    const yaml = (await runCli(['get', 'meshes', '--size', '1', '-o', 'yaml'], { env })).stdout;
    expect(yaml).toMatch(/^total: 5\nitems:\n {2}- type: Mesh\n {4}name: default\n/);
    expect(yaml).toContain('next: http://localhost:1/meshes?offset=1&size=1\n');
  });

  it('prints one resource as the resource itself', async () => {
    const yaml = await runCli(['get', 'mesh', 'default', '-o', 'yaml'], { env });
    expect(yaml.stdout).toMatch(/^type: Mesh\nname: default\nmtls:\n {2}enabledBackend: ca-1\n/);
    const table = await runCli(['get', 'dp', 'web-1'], { env });
    expect(table.stdout).toBe(
      'MESH      NAME    ADDRESS    TAGS                  AGE\ndefault   web-1   10.0.0.1   kuma.io/service=web   3h\n',
    );
    expect(server.requests.map((r) => r.url)).toEqual([
      '/meshes/default',
      '/meshes/default/dataplanes/web-1',
    ]);
  });

  it('lists mesh-scoped resources of the mesh given by --mesh', async () => {
    const result = await runCli(['get', 'dataplanes', '--mesh', 'other'], { env });
    expect(result).toEqual({ code: 0, stderr: '', stdout: 'MESH   NAME   ADDRESS   TAGS   AGE\n' });
    expect(server.requests.map((r) => r.url)).toEqual(['/meshes/other/dataplanes?size=1000']);
  });

  it('names what was not found', async () => {
    expect(await runCli(['get', 'mesh', 'nope'], { env })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: Mesh "nope" not found\n',
    });
    const dp = await runCli(['delete', 'dataplane', 'nope', '--mesh', 'default'], { env });
    expect(dp.stderr).toBe('Error: Dataplane "nope" in mesh "default" not found\n');
  });

  it('deletes a resource', async () => {
    expect(await runCli(['delete', 'dp', 'web-1'], { env })).toEqual({
      code: 0,
      stdout: 'Dataplane "web-1" in mesh "default" deleted\n',
      stderr: '',
    });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'DELETE /meshes/default/dataplanes/web-1',
    ]);
    expect(server.docs.has('/meshes/default/dataplanes/web-1')).toBe(false);
  });

  it('refuses unknown types, formats and options without a stack trace', async () => {
    const type = await runCli(['get', 'pods'], { env });
    expect(type).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^Error: unknown resource type "pods"/),
    });
    const format = await runCli(['get', 'meshes', '-o', 'wide'], { env });
    expect(format.stderr).toBe('Error: unknown output format "wide"; use table, yaml or json\n');
    const size = await runCli(['get', 'meshes', '--size', '5000'], { env });
    expect(size.code).toBe(1);
    expect(size.stderr).toContain("option '--size <n>' argument '5000' is invalid");
    const option = await runCli(['get', 'meshes', '--bogus'], { env });
    expect(option.code).toBe(1);
    expect(`${type.stderr}${format.stderr}${size.stderr}${option.stderr}`).not.toMatch(/\n\s+at /);
    expect(server.requests).toEqual([]);
  });
});
