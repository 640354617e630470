import { parse } from 'yaml';
import { caSwitchInsights } from './test-support/mesh-insights';
import { RecordingApiServer } from './test-support/recording-api.server';
import { runCli } from './test-support/run-cli';

describe('meshctl inspect meshes: the CA switch', () => {
  let server: RecordingApiServer;
  let env: Record<string, string>;
  const insights = caSwitchInsights();

  beforeAll(async () => {
    // Pages of 2: five meshes take three requests.
    server = new RecordingApiServer({ maxPageSize: 2 });
    env = { MESHCTL_API_ADDRESS: await server.start(), HOME: '/nonexistent' };
    for (const insight of insights) server.docs.set(`/mesh-insights/${String(insight.name)}`, insight);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('shows the switch in the last column, after kumactl’s and the other added columns', async () => {
    const result = await runCli(['inspect', 'meshes'], { env });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^MESH\s+DATAPLANES\s+TRAFFIC PERMISSIONS\s.*\sCA EXPIRATION\s+CA SWITCH$/);
    // The cell starts where its header does.
    const at = header!.indexOf('CA SWITCH');
    expect(rows.map((row) => [row.split(/\s+/)[0], row.slice(at)])).toEqual([
      ['bundle', 'ca-1→ca-2 waiting-for-bundle 3/4'],
      ['reissue', 'ca-1→ca-2 reissuing 0/2'],
      ['removal', 'ca-2 waiting-for-removal 1/2'],
      ['switched', 'ca-1→ca-2 done'],
      ['plain', '-'],
    ]);
  });

  it('prints mTLS.caSwitch as the API gives it with -o json and -o yaml', async () => {
    const expected = {
      from: 'ca-1',
      to: 'ca-2',
      state: 'waiting-for-bundle',
      acknowledged: 3,
      total: 4,
      waitingFor: ['web-7'],
      startedAt: '2026-12-07T10:00:00.000Z',
      stateSince: '2026-12-07T10:00:00.000Z',
    };
    for (const format of ['json', 'yaml']) {
      const result = await runCli(['inspect', 'meshes', '-o', format], { env });
      expect(result.code).toBe(0);
      const page = (format === 'json' ? JSON.parse(result.stdout) : parse(result.stdout)) as {
        items: { name: string; mTLS?: { caSwitch?: unknown } }[];
      };
      expect(page.items).toEqual(insights);
      expect(page.items[0]!.mTLS?.caSwitch).toEqual(expected);
      expect(page.items.find((i) => i.name === 'plain')!.mTLS?.caSwitch).toBeUndefined();
    }
  });
});
