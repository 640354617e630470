import { join } from 'node:path';
import {
  DataplaneProcess,
  eventually,
  startStandaloneControlPlane,
  tempDir,
  type StandaloneControlPlane,
  type TempDir,
} from '@meshtls/testing';
import { http, meshctl } from '../support/cli';

/** Dataplane insights from what really happened: connections, re-issues, a restart. */
describe('dataplane insights (standalone)', () => {
  let dir: TempDir;
  let cp: StandaloneControlPlane;
  let base: string;
  const stops: (() => Promise<unknown>)[] = [];

  const mesh = (mode: 'STRICT' | 'PERMISSIVE') =>
    JSON.stringify({
      type: 'Mesh',
      name: 'm',
      mtls: {
        enabledBackend: 'ca-1',
        backends: [{ name: 'ca-1', type: 'builtin', mode, dpCert: { rotation: { expiration: '1h' } } }],
      },
    });
  const startDp = async () => {
    const dp = await DataplaneProcess.start({
      dir: dir.path,
      mesh: 'm',
      name: 'web-1',
      service: 'web',
      token: await cp.dataplaneToken('m', 'web-1'),
      cpAddresses: [cp.dpAddress],
      caFile: cp.dpCaFile,
    });
    stops.push(() => dp.stop());
    return dp;
  };
  const overview = async () => (await http('GET', `${base}/meshes/m/dataplanes+insights/web-1`)).json;

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-insights-');
    cp = await startStandaloneControlPlane(join(dir.path, 'data'));
    base = cp.url;
    stops.push(() => cp.stop());
    const r = await http('PUT', `${base}/meshes/m`, {
      body: mesh('STRICT'),
      contentType: 'application/json',
    });
    expect(r.status).toBe(201);
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await dir?.remove();
  });

  it('counts exactly the certificates issued and lists every stream, through a restart and a mesh change', async () => {
    const first = await startDp();
    const v1 = await first.waitFor((v) => v.ready);
    await eventually(
      async () => expect((await overview()).dataplaneInsight.mTLS?.certificateRegenerations).toBe(1),
      5_000,
    );
    await first.stop();
    const second = await startDp();
    await second.waitFor((v) => v.ready && v.identity?.serial !== v1.identity?.serial);
    const r = await http('PUT', `${base}/meshes/m`, {
      body: mesh('PERMISSIVE'),
      contentType: 'application/json',
    });
    expect(r.status).toBe(200);
    const v3 = await second.waitFor((v) => v.identity?.mode === 'PERMISSIVE');
    await eventually(async () => {
      const o = await overview();
      expect(o.dataplaneInsight.mTLS).toEqual({
        certificateRegenerations: 3, // new, restart, mesh-change
        issuedBackend: 'ca-1',
        supportedBackends: ['ca-1'],
        certificateExpirationTime: new Date(v3.identity!.notAfter).toISOString(),
        lastCertificateRegeneration: expect.any(String),
      });
      expect(o.dataplaneInsight.subscriptions).toHaveLength(2);
    }, 5_000);
    const o = await overview();
    expect(o).toMatchObject({
      type: 'DataplaneOverview',
      mesh: 'm',
      name: 'web-1',
      dataplane: { networking: {} },
    });
    const [closed, open] = o.dataplaneInsight.subscriptions;
    expect(closed.disconnectTime).toEqual(expect.any(String));
    expect(open.disconnectTime).toBeUndefined();
    expect(Date.parse(open.connectTime)).toBeGreaterThanOrEqual(Date.parse(closed.connectTime));
    expect(o.dataplaneInsight.countedSerials).toBeUndefined(); // internal bookkeeping is not shown
    const list = (await http('GET', `${base}/meshes/m/dataplanes/_overview`)).json;
    expect(list).toMatchObject({ total: 1, items: [{ name: 'web-1' }], next: null });
  });

  it('summarises the mesh with its CA expiry, and meshctl shows the same', async () => {
    const insight = (await http('GET', `${base}/mesh-insights/m`)).json;
    expect(insight).toMatchObject({
      type: 'MeshInsight',
      name: 'm',
      // Kuma prints no zero count: nothing offline, so no `offline`.
      dataplanes: { total: 1, online: 1 },
      mTLS: {
        issuedBackends: { 'ca-1': { total: 1, online: 1 } },
        supportedBackends: { 'ca-1': { total: 1, online: 1 } },
      },
    });
    expect(insight.dataplanes.offline).toBeUndefined();
    expect(insight.caCertificates).toEqual([
      { backend: 'ca-1', subject: expect.stringContaining('ca-1'), notAfter: expect.any(String) },
    ]);
    expect(Date.parse(insight.caCertificates[0].notAfter)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    const env = { MESHCTL_API_ADDRESS: base };
    const table = await meshctl(['inspect', 'dataplanes', '--mesh', 'm'], { env });
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.split('\n');
    expect(header).toMatch(
      /^MESH\s+NAME\s+TAGS\s+STATUS\s+LAST CONNECTED AGO\s+LAST UPDATED AGO\s+TOTAL UPDATES\s+TOTAL ERRORS\s+CERT REGENERATED AGO\s+CERT EXPIRATION\s+CERT REGENERATIONS\s+CERT BACKEND\s+SUPPORTED CERT BACKENDS\s+KUMA-DP VERSION\s+ENVOY VERSION\s+DEPENDENCIES VERSIONS\s+NOTES$/,
    );
    expect(row).toMatch(
      /^m\s+web-1\s+kuma.io\/service=web\s+Online\s+\d+[sm]\s+\d+[sm]\s+0\s+0\s+\d+[sm]\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+3\s+ca-1\s+ca-1\s+-\s*$/,
    );
    const json = await meshctl(['inspect', 'dataplanes', '--mesh', 'm', '-o', 'json'], { env });
    expect(JSON.parse(json.stdout).items[0].dataplaneInsight.mTLS.certificateRegenerations).toBe(3);
    const meshes = await meshctl(['inspect', 'meshes'], { env });
    expect(meshes.stdout).toMatch(
      /^MESH\s+DATAPLANES\s+TRAFFIC PERMISSIONS\s.*\sRATE LIMITS\s+MESH TRAFFIC PERMISSIONS\s+ISSUED BACKENDS\s+CA EXPIRATION\s+CA SWITCH$/m,
    );
    // No CA switch was ever made on this mesh: "-".
    expect(meshes.stdout).toMatch(/^m\s+1\/1\s+(0\s+){11}ca-1=1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+-$/m);
  });

  it('refuses writes to insights: the control plane maintains them', async () => {
    const r = await http('PUT', `${base}/meshes/m/dataplane-insights/web-1`, {
      body: JSON.stringify({ type: 'DataplaneInsight', mesh: 'm', name: 'web-1' }),
      contentType: 'application/json',
    });
    expect(r.status).toBe(405);
    expect(r.text).toContain('read-only');
    expect((await http('GET', `${base}/meshes/m/dataplane-insights/web-1`)).status).toBe(200);
  });
});
