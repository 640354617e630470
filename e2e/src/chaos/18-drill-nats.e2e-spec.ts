import { connect } from 'nats';
import { Topology, eventually } from '@meshtls/testing';
import { http } from '../../support/cli';
import { SimulatedFleet, adminPut, builtinMesh, reportDrill, sized } from '../../support/chaos';
import { allowAllPermission } from '../../support/traffic';

/**
 * Drill 5: NATS, a three-node JetStream cluster holding the resources (replicated on every node). First
 * the node leading the resource bucket is killed (SIGKILL) while both mesh-api replicas keep writing:
 * every write succeeds, none is lost. Then the whole cluster is stopped and started again: the processes
 * reconnect by themselves, every resource written before is there, and dataplanes get certificates again.
 */
describe('drill 5: stop one NATS node of three, then restart the whole NATS', () => {
  const FLEET = sized(20, 300);
  const WRITERS = sized(2, 8);
  let topology: Topology;
  let fleet: SimulatedFleet;
  const extra: SimulatedFleet[] = [];

  afterAll(async () => {
    fleet?.stop();
    for (const f of extra) f.stop();
    await topology?.stop();
  });

  /** Writes MeshTrafficPermissions one after another from `writers` loops until `stop()`; records each. */
  const writeLoop = (prefix: string) => {
    const results: { name: string; status: number; startedAt: number; ms: number }[] = [];
    let running = true;
    const apis = topology.of('mesh-api');
    const loops = Array.from({ length: WRITERS }, async (_, w) => {
      for (let n = 0; running; n++) {
        const name = `${prefix}-${w}-${n}`;
        const started = Date.now();
        const status = await adminPut(
          topology,
          `${apis[w % apis.length]!.url}/meshes/m/meshtrafficpermissions/${name}`,
          allowAllPermission('m', name),
        ).catch(() => 0);
        results.push({ name, status, startedAt: started, ms: Date.now() - started });
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    return {
      results,
      async stop() {
        running = false;
        await Promise.all(loops);
        return results;
      },
    };
  };
  /** Every MeshTrafficPermission name a replica serves, page after page. */
  const stored = async (url: string): Promise<Set<string>> => {
    const names = new Set<string>();
    for (let next: string | null = `${url}/meshes/m/meshtrafficpermissions?size=500`; next !== null; ) {
      const r = await http('GET', next, { token: topology.adminToken });
      expect(r.status).toBe(200);
      for (const item of r.json.items as { name: string }[]) names.add(item.name);
      next = r.json.next as string | null;
    }
    return names;
  };
  const ready = async (url: string) =>
    (await fetch(`${url}/health/ready`).catch(() => undefined))?.status === 200;

  it('loses no write and no identity when a node dies, and comes back whole after a full restart', async () => {
    topology = await Topology.start(
      { 'mesh-api': 2, 'ca-signer': 2, 'rotation-scheduler': 1, 'stats-collector': 1 },
      {},
      { natsNodes: 3 },
    );
    const apis = topology.of('mesh-api');
    expect(await adminPut(topology, `${apis[0]!.url}/meshes/m`, builtinMesh('m', '1h'))).toBe(201);
    fleet = await SimulatedFleet.start(topology, 'm', FLEET);
    await fleet.until(() => fleet.holding === FLEET, 60_000, 'first identities');

    // The node leading the resource bucket's stream.
    const nc = await connect({ servers: topology.natsUrls, ...topology.natsUser('mesh-api') });
    const info = await (await nc.jetstreamManager()).streams.info('KV_mesh-resources');
    await nc.close();
    expect(info.config.num_replicas).toBe(3);
    const leader = topology.natsServers.find((s) => s.serverName === info.cluster?.leader)!;
    expect(leader).toBeDefined();

    const writes1 = writeLoop('node-down');
    await new Promise((r) => setTimeout(r, 500));
    await leader.kill('SIGKILL');
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, sized(5_000, 15_000)));
    // Writes in flight at the kill may wait out the election: the node loss is tried with writes that
    // started (and finished) after it, however long the election took on this machine.
    await eventually(
      () => expect(writes1.results.filter((w) => w.startedAt >= killedAt).length).toBeGreaterThan(0),
      60_000,
    );
    const duringNodeLoss = await SimulatedFleet.start(topology, 'm', 3, { names: (i) => `node-down-${i}` });
    extra.push(duringNodeLoss);
    const nodeLossIssueMs = await duringNodeLoss.until(
      () => duringNodeLoss.holding === 3,
      30_000,
      'issuance with a node down',
    );
    const phase1 = await writes1.stop();
    await leader.restart();
    const slowest1 = Math.max(...phase1.filter((w) => w.ms > 0).map((w) => w.ms));
    const failed1 = phase1.filter((w) => w.status !== 201);
    // Writes made entirely while the killed node was down (they all ended before it came back).
    const whileDown = phase1.filter((w) => w.startedAt >= killedAt);

    // The whole NATS: every node stopped, then started again on its ports and stores.
    const written = new Set(phase1.filter((w) => w.status === 201).map((w) => w.name));
    expect(written.size).toBeGreaterThan(0);
    await Promise.all(topology.natsServers.map((s) => s.kill('SIGTERM')));
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    await Promise.all(topology.natsServers.map((s) => s.restart()));
    const natsBackMs = Date.now() - downAt;
    const readyMs = await fleet.until(
      () => {
        void Promise.all(topology.replicas.map((r) => ready(r.url))).then(
          (all) => (everyReady = all.every(Boolean)),
        );
        return everyReady;
      },
      60_000,
      'every process ready again',
    );
    const afterRestart = await SimulatedFleet.start(topology, 'm', 3, { names: (i) => `after-restart-${i}` });
    extra.push(afterRestart);
    const restartIssueMs = await afterRestart.until(
      () => afterRestart.holding === 3,
      30_000,
      'issuance after the restart',
    );
    const writes2 = writeLoop('after-restart');
    await new Promise((r) => setTimeout(r, 1000));
    const phase2 = await writes2.stop();
    // Each replica serves from its watch of the bucket, which catches up after the restart: what counts
    // is a write it never shows, so it is given time to catch up (a replica that stays behind fails).
    let missing: string[] = [];
    const caughtUpStarted = Date.now();
    await eventually(async () => {
      missing = [];
      for (const a of apis) {
        const names = await stored(a.url);
        for (const n of written) if (!names.has(n)) missing.push(`${a.instanceId}: ${n}`);
      }
      expect(missing).toEqual([]);
    }, 30_000).catch(() => undefined);
    const caughtUpMs = Date.now() - caughtUpStarted;
    reportDrill('5: NATS node loss and full restart', {
      dataplanes: FLEET,
      'writes while the bucket leader died': phase1.length,
      'writes started after it died': whileDown.length,
      'writes failed': failed1.length,
      'slowest write across the election (ms)': slowest1,
      'new dataplanes served with a node down (ms)': nodeLossIssueMs,
      'whole NATS down, then back (ms)': natsBackMs,
      'every process ready again after NATS came back (ms)': readyMs,
      'new dataplanes served after the restart (ms)': restartIssueMs,
      'writes after the restart that failed': phase2.filter((w) => w.status !== 201).length,
      'resources written before, missing after': missing.length,
      'time for every replica to show every write (ms)': caughtUpMs,
      'stream disconnects': fleet.disconnects.length,
      'moments without a valid certificate': fleet.invalid.length,
      lost: missing.length + FLEET - fleet.holding,
    });
    expect(whileDown.length).toBeGreaterThan(0);
    expect(failed1).toEqual([]);
    expect(phase2.filter((w) => w.status !== 201)).toEqual([]);
    expect(missing).toEqual([]);
    expect(fleet.invalid).toEqual([]);
    expect(fleet.holding).toBe(FLEET);
  }, 300_000);
  let everyReady = false;
});
