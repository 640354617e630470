import {
  startStandaloneControlPlane,
  tempDir,
  type StandaloneControlPlane,
  type TempDir,
} from '@meshtls/testing';

/**
 * What main.ts wires: the four roles in one process over the embedded store and the in-process bus,
 * the dataplane server, health, /metrics and a graceful stop. Runs the built process from dist.
 */
describe('control-plane process (standalone)', () => {
  let dir: TempDir;
  let cp: StandaloneControlPlane;

  beforeAll(async () => {
    dir = await tempDir('meshtls-control-plane-');
    cp = await startStandaloneControlPlane(dir.path);
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
  });

  it('runs every role: ready with store and bus, each role on /metrics, the dataplane server listening', async () => {
    const ready = await fetch(`${cp.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      roles: ['mesh-api', 'ca-signer', 'rotation-scheduler', 'stats-collector'],
      checks: { store: 'ok', bus: 'ok' },
    });
    expect(cp.process.logs).toContain(`dataplane server listening on grpcs://${cp.dpAddress}`);
    expect((await fetch(`${cp.url}/meshes`)).status).toBe(200);

    const metrics = await fetch(`${cp.url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    const roles = 'roles="ca-signer,mesh-api,rotation-scheduler,stats-collector"';
    // One metric each role's module registers: mesh-api, ca-signer, rotation-scheduler, stats-collector.
    for (const name of [
      'mesh_dataplanes_connected',
      'mesh_ca_admission_in_flight',
      'mesh_rotation_leases_due',
      'mesh_dataplanes_with_certificate',
    ]) {
      expect(text).toContain(`# TYPE ${name} gauge`);
    }
    expect(text).toMatch(new RegExp(`^mesh_rotation_leases_due\\{${roles}\\} 0$`, 'm'));
  });

  it('stops on SIGTERM after its shutdown hooks, with exit code 0', async () => {
    expect(await cp.stop()).toEqual({ code: 0, signal: null });
  });
});
