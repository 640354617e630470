import {
  DataplaneProcess,
  Topology,
  dataplaneToken,
  freePort,
  tempDir,
  type AdminView,
  type TempDir,
} from '@meshtls/testing';
import { SimulatedFleet, adminPut, builtinMesh, reportDrill, sized } from '../../support/chaos';
import { allowAllPermission, call, startHttpApp, type CallResult } from '../../support/traffic';

/**
 * Drill 1: SIGKILL of a mesh-api replica while dataplanes are connected to it and two real sidecars carry
 * traffic between them. Its dataplanes reconnect to the other replica and get new certificates there; no
 * dataplane is ever without a valid certificate; requests between the services keep being answered.
 */
describe('drill 1: kill -9 a mesh-api replica with traffic flowing', () => {
  const FLEET = sized(40, 1000);
  let topology: Topology;
  let dir: TempDir;
  let fleet: SimulatedFleet;
  const closers: (() => Promise<unknown>)[] = [];

  afterAll(async () => {
    fleet?.stop();
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await topology?.stop();
    await dir?.remove();
  });

  it('moves every dataplane of the killed replica to the survivor, with no gap in identity or traffic', async () => {
    [topology, dir] = await Promise.all([
      Topology.start({ 'mesh-api': 2, 'ca-signer': 2, 'rotation-scheduler': 1, 'stats-collector': 1 }),
      tempDir('meshtls-drill-1-'),
    ]);
    const [killed, survivor] = topology.of('mesh-api') as [
      (typeof topology.replicas)[0],
      (typeof topology.replicas)[0],
    ];
    expect(await adminPut(topology, `${killed.url}/meshes/m`, builtinMesh('m', '1h'))).toBe(201);
    expect(
      await adminPut(
        topology,
        `${killed.url}/meshes/m/meshtrafficpermissions/allow-all`,
        allowAllPermission('m'),
      ),
    ).toBe(201);

    // Two real sidecars, both on the replica that will be killed: web calls backend through them.
    const app = await startHttpApp('backend');
    closers.push(() => app.close());
    const outbound = await freePort();
    const sidecar = async (name: string, service: string, extra: object) => {
      const dp = await DataplaneProcess.start({
        dir: dir.path,
        mesh: 'm',
        name,
        service,
        token: await dataplaneToken(killed.url, 'm', name, topology.adminToken),
        cpAddresses: [killed.dpAddress!, survivor.dpAddress!],
        caFile: topology.dpCaFile,
        ...extra,
      });
      closers.push(() => dp.stop());
      return dp;
    };
    const [backend, web] = await Promise.all([
      sidecar('backend-1', 'backend', { servicePort: app.port }),
      sidecar('web-1', 'web', { outbounds: [{ port: outbound, service: 'backend' }] }),
    ]);
    const sidecars = [backend, web];
    fleet = await SimulatedFleet.start(topology, 'm', FLEET);
    await fleet.until(() => fleet.holding === FLEET, 60_000, 'first identities');
    await Promise.all(sidecars.map((dp) => dp.waitFor((v) => v.ready)));
    await web.waitFor((v) => Object.keys(v.listeners.outbound).length === 1);

    // Traffic: one request after the other, each on a new connection through both sidecars.
    const calls: { at: number; result: CallResult }[] = [];
    let flowing = true;
    const traffic = (async () => {
      while (flowing) {
        calls.push({ at: Date.now(), result: await call(outbound, '/drill', 3000) });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // The sidecars' own view of their certificate, every 100 ms.
    const sidecarInvalid: string[] = [];
    const watch = setInterval(() => {
      for (const dp of sidecars) {
        void dp
          .view()
          .then((v: AdminView) => {
            if (!v.ready || v.identity === null || Date.parse(v.identity.notAfter) <= Date.now()) {
              sidecarInvalid.push(`${dp.process.name} at ${new Date().toISOString()}`);
            }
          })
          .catch(() => undefined);
      }
    }, 100);
    await new Promise((r) => setTimeout(r, 1000));
    expect(calls.filter((c) => c.result.ok).length).toBeGreaterThan(0);

    const serialsBefore = await Promise.all(sidecars.map(async (dp) => (await dp.view()).identity!.serial));
    const moving = fleet.agents.flatMap((a, i) => (a.connectedTo === killed.dpAddress ? [i] : []));
    const killedAt = Date.now();
    process.kill(killed.process.pid, 'SIGKILL');
    const reconnected = (i: number) =>
      fleet.received[i]!.some(
        (r) => r.at >= killedAt && r.reason === 'reconnect' && r.from === survivor.dpAddress,
      );
    const convergenceMs = await fleet.until(
      () => moving.every(reconnected),
      60_000,
      'reconnect of moved dataplanes',
    );
    const moved = await Promise.all(
      sidecars.map((dp) =>
        dp.waitFor(
          (v) => v.controlPlane === survivor.dpAddress && v.identity?.reason === 'reconnect',
          30_000,
        ),
      ),
    );
    const sidecarsMovedMs = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 2000)); // traffic keeps flowing on the new certificates
    flowing = false;
    await traffic;
    clearInterval(watch);

    // The longest run of failed requests, from the first failure to the next answer.
    let longestOutageMs = 0;
    let failingSince: number | undefined;
    for (const c of calls) {
      const ok = c.result.ok && c.result.status === 200;
      if (!ok && failingSince === undefined) failingSince = c.at;
      if (ok && failingSince !== undefined) {
        longestOutageMs = Math.max(longestOutageMs, c.at - failingSince);
        failingSince = undefined;
      }
    }
    const failed = calls.filter((c) => !(c.result.ok && c.result.status === 200));
    const reconnectTimes = moving
      .map((i) => fleet.received[i]!.find((r) => r.at >= killedAt && r.reason === 'reconnect')!.at - killedAt)
      .sort((a, b) => a - b);
    const reissued = fleet.receivedSince(killedAt).length;
    const stranded = FLEET - fleet.holding;
    reportDrill('1: kill -9 mesh-api', {
      dataplanes: FLEET + 2,
      'moved to the survivor': moving.length + 2,
      'reconnect p50 (ms)': reconnectTimes[Math.floor(reconnectTimes.length / 2)] ?? 0,
      'all moved, new certificates (ms)': Math.max(convergenceMs, sidecarsMovedMs),
      're-issued certificates': reissued + 2,
      'moments without a valid certificate': fleet.invalid.length + sidecarInvalid.length,
      'requests web → backend': calls.length,
      'requests failed': failed.length,
      'longest request outage (ms)': longestOutageMs,
      'lost (dataplanes without a certificate at the end)': stranded,
    });
    expect(moving.length).toBeGreaterThan(0);
    // The sidecars hold new certificates from the survivor.
    moved.forEach((v, i) => expect(v.identity!.serial).not.toBe(serialsBefore[i]));
    // Re-issued exactly once per moved dataplane: no certificate for the ones that stayed.
    expect(reissued).toBe(moving.length);
    expect(fleet.invalid).toEqual([]);
    expect(sidecarInvalid).toEqual([]);
    expect(stranded).toBe(0);
    // The data path does not need the control plane: no request fails longer than the reconnect took.
    expect(longestOutageMs).toBeLessThanOrEqual(Math.max(convergenceMs, sidecarsMovedMs));
    expect(failed.map((c) => JSON.stringify(c.result))).toEqual([]);
  }, 240_000);
});
