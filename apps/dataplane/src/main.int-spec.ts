import { renewAtOf } from '@meshtls/domain';
import {
  DataplaneProcess,
  startStandaloneControlPlane,
  tempDir,
  type StandaloneControlPlane,
  type TempDir,
} from '@meshtls/testing';

/**
 * What main.ts wires: the identity stream to a real control plane, the proxy's inbound, the admin server
 * (/ready, /identity, /metrics) and a stop on SIGTERM. Runs the built processes from dist.
 */
describe('dataplane process', () => {
  let dir: TempDir;
  let cp: StandaloneControlPlane;
  let dp: DataplaneProcess;

  beforeAll(async () => {
    dir = await tempDir('meshtls-dataplane-');
    cp = await startStandaloneControlPlane(`${dir.path}/cp`);
    const mesh = {
      type: 'Mesh',
      name: 'default',
      mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
    };
    const put = await fetch(`${cp.url}/meshes/default`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(mesh),
    });
    expect(put.status).toBe(201);
    dp = await DataplaneProcess.start({
      dir: dir.path,
      name: 'web-1',
      mesh: 'default',
      service: 'web',
      token: await cp.dataplaneToken('default', 'web-1'),
      cpAddresses: [cp.dpAddress],
      caFile: cp.dpCaFile,
    });
  }, 60_000);

  afterAll(async () => {
    await dp?.stop();
    await cp?.stop();
    await dir?.remove();
  });

  it('gets its identity from the control plane, opens its inbound, and is ready with its metrics', async () => {
    const view = await dp.waitFor((v) => v.ready && Object.keys(v.listeners.inbound).length === 1, 30_000);
    expect(view).toMatchObject({ mtls: 'enabled', controlPlane: expect.stringContaining(cp.dpAddress) });
    expect(view.identity?.uris).toContain('spiffe://default/web');
    // It would ask for a new certificate itself at day 27 of 30, were it not rotated at day 24.
    const { notBefore, notAfter, rotateAt } = view.identity!;
    expect(view.identity?.renewAt).toBe(
      renewAtOf({
        notBefore: new Date(notBefore),
        notAfter: new Date(notAfter),
        rotateAt: new Date(rotateAt),
      }).toISOString(),
    );
    expect((await fetch(`${dp.adminUrl}/ready`)).status).toBe(200);

    const metrics = await fetch(`${dp.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    const expiry = Date.parse(view.identity!.notAfter) / 1000;
    expect(await metrics.text()).toMatch(
      new RegExp(`^dataplane_certificate_expiration_timestamp_seconds ${expiry}$`, 'm'),
    );
  });

  it('stops on SIGTERM with exit code 0', async () => {
    expect(await dp.stop()).toEqual({ code: 0, signal: null });
  });
});
