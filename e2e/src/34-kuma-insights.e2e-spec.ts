import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataplaneProcess,
  OpensslWorkspace,
  eventually,
  startStandaloneControlPlane,
  tempDir,
  type StandaloneControlPlane,
  type TempDir,
} from '@meshtls/testing';
import { http, meshctl } from '../support/cli';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** Kuma 2.14.3's answers, kept as Kuma wrote them (see e2e/kuma-compat/insights/README.md). */
const kuma = (file: string): any =>
  JSON.parse(readFileSync(join(__dirname, '..', 'kuma-compat', 'insights', file), 'utf8'));

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** Times become `<time>`, a stream's id and its control-plane replica `<id>` and `<cp>`: what differs per run. */
function normalised(value: any): any {
  if (Array.isArray(value)) return value.map(normalised);
  if (typeof value === 'string') return RFC3339.test(value) ? '<time>' : value;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      if (key === 'id' && typeof v === 'string') return [key, '<id>'];
      if (key === 'controlPlaneInstanceId') return [key, '<cp>'];
      return [key, normalised(v)];
    }),
  );
}

/**
 * A Kuma user's reads of insights against a real control plane and a connected sidecar: the overview of
 * each dataplane and the mesh's insight answer in Kuma's shapes, and the sidecar's certificate names it
 * as Kuma names a workload.
 */
describe('insights in Kuma’s shapes (standalone)', () => {
  let dir: TempDir;
  let cp: StandaloneControlPlane;
  let dp: DataplaneProcess;
  const openssl = new OpensslWorkspace();
  const put = async (path: string, doc: object) => {
    const r = await http('PUT', `${cp.url}${path}`, {
      body: JSON.stringify(doc),
      contentType: 'application/json',
    });
    expect([200, 201]).toContain(r.status);
  };
  const noInsights = {
    networking: {
      address: '127.0.0.1',
      inbound: [{ port: 1234, tags: { 'kuma.io/service': 'backend', version: 'v1' } }],
    },
  };

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-kuma-insights-');
    cp = await startStandaloneControlPlane(join(dir.path, 'data'));
    await put('/meshes/mesh1', {
      type: 'Mesh',
      name: 'mesh1',
      mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
    });
    await put('/meshes/mesh1/meshtrafficpermissions/allow-all', {
      type: 'MeshTrafficPermission',
      mesh: 'mesh1',
      name: 'allow-all',
      spec: {
        targetRef: { kind: 'Mesh' },
        from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
      },
    });
    await put('/meshes/mesh1/dataplanes/dp-no-insights', {
      type: 'Dataplane',
      mesh: 'mesh1',
      name: 'dp-no-insights',
      ...noInsights,
    });
    dp = await DataplaneProcess.start({
      dir: dir.path,
      mesh: 'mesh1',
      name: 'dp-1',
      service: 'backend',
      token: await cp.dataplaneToken('mesh1', 'dp-1'),
      cpAddresses: [cp.dpAddress],
      caFile: cp.dpCaFile,
    });
    await dp.waitFor((v) => v.ready);
  });

  afterAll(async () => {
    await dp?.stop();
    await cp?.stop();
    openssl.close();
    await dir?.remove();
  });

  it('lists dataplanes with their insights as Kuma does: kri, subscriptions with a status, none for one never connected', async () => {
    const golden = kuma('meshes_mesh1_dataplanes_insights.golden.json');
    const goldenDp1 = golden.items.find((i: any) => i.name === 'dp-1');
    const goldenNever = golden.items.find((i: any) => i.name === 'dp-no-insights');
    const goldenMtls = kuma('kumactl-inspect-dataplanes.golden.json').items[0].dataplaneInsight.mTLS;
    let list: any;
    await eventually(async () => {
      list = (await http('GET', `${cp.url}/meshes/mesh1/dataplanes+insights`)).json;
      const dp1 = list.items.find((i: any) => i.name === 'dp-1');
      expect(dp1.dataplaneInsight.mTLS?.certificateRegenerations).toBe(1);
    }, 10_000);
    expect(Object.keys(list)).toEqual(Object.keys(golden));
    expect(list).toMatchObject({ total: 2, next: null });
    const dp1 = list.items.find((i: any) => i.name === 'dp-1');
    const never = list.items.find((i: any) => i.name === 'dp-no-insights');

    // The same fields in the same order; the dataplane is ours (its ports), the rest Kuma's to the letter.
    expect(Object.keys(dp1)).toEqual(Object.keys(goldenDp1));
    expect(Object.keys(never)).toEqual(Object.keys(goldenNever));
    expect(never.dataplaneInsight).toBeUndefined();
    expect(normalised({ ...never, dataplane: undefined })).toEqual(
      normalised({ ...goldenNever, dataplane: undefined }),
    );
    expect(never.dataplane).toEqual(noInsights);
    expect(dp1.kri).toBe(goldenDp1.kri);

    const { subscriptions, mTLS, ...rest } = dp1.dataplaneInsight;
    expect(rest).toEqual({});
    expect(normalised(subscriptions)).toEqual(normalised(goldenDp1.dataplaneInsight.subscriptions));
    expect(Object.keys(mTLS)).toEqual(Object.keys(goldenMtls));
    expect(mTLS).toMatchObject({
      certificateRegenerations: 1,
      issuedBackend: 'ca-1',
      supportedBackends: ['ca-1'],
    });
    // The stream's last update is the certificate sent on it, not before it opened.
    const [stream] = subscriptions;
    expect(Date.parse(stream.status.lastUpdateTime)).toBeGreaterThanOrEqual(Date.parse(stream.connectTime));

    // One dataplane read alone is the same overview.
    const one = (await http('GET', `${cp.url}/meshes/mesh1/dataplanes+insights/dp-1`)).json;
    expect(normalised(one)).toEqual(normalised(dp1));
  });

  it('filters the listing by Kuma’s tag and gateway parameters, paging within the filter', async () => {
    const names = async (query: string) => {
      const r = await http('GET', `${cp.url}/meshes/mesh1/dataplanes+insights?${query}`);
      expect(r.status).toBe(200);
      return { total: r.json.total, names: r.json.items.map((i: any) => i.name), next: r.json.next };
    };
    // A part of the value matches, as in Kuma's `tag=service:ck`.
    expect(await names('tag=kuma.io/service:ck')).toEqual({
      total: 2,
      names: ['dp-1', 'dp-no-insights'],
      next: null,
    });
    expect(await names('tag=kuma.io/service:backend&tag=version:v1')).toMatchObject({
      total: 1,
      names: ['dp-no-insights'],
    });
    expect(await names('tag=version:v2')).toMatchObject({ total: 0, names: [] });
    expect(await names('gateway=true')).toMatchObject({ total: 0, names: [] });
    expect(await names('gateway=false&tag=kuma.io/service:backend&size=1')).toEqual({
      total: 2,
      names: ['dp-1'],
      next: expect.stringMatching(/[?&]offset=1&size=1&tag=kuma.io%2Fservice%3Abackend&gateway=false$/),
    });
    const refused = await http('GET', `${cp.url}/meshes/mesh1/dataplanes/_overview?gateway=maybe`);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('gateway');
    // kumactl's flags do the same from the command line.
    const cli = await meshctl(['inspect', 'dataplanes', '--mesh', 'mesh1', '--tag', 'version=v1'], {
      env: { MESHCTL_API_ADDRESS: cp.url },
    });
    expect(cli.code).toBe(0);
    const rows = cli.stdout.split('\n').filter((line) => line !== '');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(
      /^mesh1\s+dp-no-insights\s+kuma\.io\/service=backend version=v1\s+Offline\s+never\s/,
    );
    // Kuma's other path to one overview.
    const one = await http('GET', `${cp.url}/meshes/mesh1/dataplanes/dp-no-insights/_overview`);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ type: 'DataplaneOverview', name: 'dp-no-insights' });
  });

  it('summarises the mesh as Kuma’s MeshInsight, with our CA expiry beside it', async () => {
    const golden = kuma('mesh-insight.golden.json');
    let insight: any;
    await eventually(async () => {
      insight = (await http('GET', `${cp.url}/mesh-insights/mesh1`)).json;
      expect(insight.mTLS.issuedBackends?.['ca-1']?.online).toBe(1);
    }, 10_000);
    const { caCertificates, ...kumaFields } = insight;
    expect(Object.keys(kumaFields)).toEqual(Object.keys(golden));
    expect(normalised(kumaFields)).toEqual(golden);
    expect(caCertificates).toEqual([
      { backend: 'ca-1', subject: expect.stringContaining('ca-1'), notAfter: expect.any(String) },
    ]);
    const all = (await http('GET', `${cp.url}/mesh-insights`)).json;
    expect(all).toMatchObject({ total: 1, next: null });
    expect(normalised(all.items[0])).toEqual(normalised(insight));
  });

  it('issues the sidecar a certificate naming it as Kuma does: the SPIFFE ID, then kuma://kuma.io/service', async () => {
    const certPem = readFileSync(join(dp.certDir, 'cert.pem'), 'utf8');
    const cert = new X509Certificate(certPem);
    expect(cert.subjectAltName).toBe('URI:spiffe://mesh1/backend, URI:kuma://kuma.io/service/backend');
    expect(openssl.text(certPem)).toContain('URI:spiffe://mesh1/backend, URI:kuma://kuma.io/service/backend');
    // What the sidecar reports holding is the same list.
    expect((await dp.view()).identity?.uris).toEqual([
      'spiffe://mesh1/backend',
      'kuma://kuma.io/service/backend',
    ]);
  });
});
