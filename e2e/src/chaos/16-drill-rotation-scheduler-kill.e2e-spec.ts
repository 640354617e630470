import { Topology, type Replica } from '@meshtls/testing';
import {
  SimulatedFleet,
  adminPut,
  builtinMesh,
  replicaMetric,
  reportDrill,
  sized,
} from '../../support/chaos';

/**
 * Drill 3: SIGKILL of rotation-scheduler replicas. One dies in the middle of a wave of rotations (the
 * other finishes it once the dead one's claims expire); then the last one dies just before the next
 * wave, and the rotations due while none runs are made when a new one starts. None is lost (no
 * certificate expires), none is doubled. Time is scaled down: certificates of 30 s, rotated at 24 s.
 */
describe('drill 3: kill the rotation-scheduler', () => {
  const FLEET = sized(40, 500);
  const VALIDITY_MS = 30_000;
  const ROTATE_AFTER_MS = (VALIDITY_MS * 4) / 5;
  const OUTAGE_MS = 2_000;
  let topology: Topology;
  let fleet: SimulatedFleet;

  afterAll(async () => {
    fleet?.stop();
    await topology?.stop();
  });

  it('rotates what fell due while it was down once one is back, none lost and none twice', async () => {
    topology = await Topology.start({ 'mesh-api': 2, 'ca-signer': 1 });
    // One rotation at a time each, so that a wave takes a while and a scheduler can die in its middle.
    const schedulerEnv = {
      MESH_ROTATION_INTERVAL_MS: '200',
      MESH_ROTATION_CLAIM_TTL_MS: '2000',
      MESH_ROTATION_CONCURRENCY: '1',
    };
    const start = (id: string) => topology.startReplica('rotation-scheduler', id, schedulerEnv);
    const [first, second] = [await start('rotation-scheduler-1'), await start('rotation-scheduler-2')];
    const api = topology.of('mesh-api')[0]!;
    expect(await adminPut(topology, `${api.url}/meshes/m`, builtinMesh('m', `${VALIDITY_MS / 1000}s`))).toBe(
      201,
    );
    // Sidecars that never ask themselves: this drill is about the schedulers (drill 7 is about renewals).
    fleet = await SimulatedFleet.start(topology, 'm', FLEET, { renew: false });
    await fleet.until(() => fleet.holding === FLEET, 60_000, 'first identities');
    const rotations = (i: number, since = 0) =>
      fleet.received[i]!.filter((r) => r.reason === 'rotation' && r.at >= since).length;
    const everyone =
      (n: number, since = 0) =>
      () =>
        fleet.received.every((_, i) => rotations(i, since) >= n);

    // Wave 1: one scheduler dies with the wave a third done.
    await fleet.until(
      () => fleet.received.filter((_, i) => rotations(i) >= 1).length >= FLEET / 3,
      60_000,
      'wave 1',
    );
    process.kill(first.process.pid, 'SIGKILL');
    const rotatedAtFirstKill = fleet.received.filter((_, i) => rotations(i) >= 1).length;
    const wave1RestMs = await fleet.until(everyone(1), 30_000, 'the rest of wave 1');

    // Wave 2: the last scheduler dies just before it; a new one starts after the outage.
    const nextDue = Math.min(...fleet.agents.map((a) => Date.parse(a.identity!.rotateAt)));
    await new Promise((r) => setTimeout(r, Math.max(0, nextDue - Date.now() - 500)));
    // What each dataplane holds when the last scheduler dies: due during the outage or not.
    const rotateAtAtKill = fleet.agents.map((a) => Date.parse(a.identity!.rotateAt));
    process.kill(second.process.pid, 'SIGKILL');
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const third: Replica = await start('rotation-scheduler-3');
    const backAt = Date.now();
    const dueDuringOutage = rotateAtAtKill.filter((rotateAt) => rotateAt < backAt).length;
    await fleet.until(everyone(2), 30_000, 'wave 2');
    await new Promise((r) => setTimeout(r, 1000)); // time for a doubled rotation to show

    const wave2 = fleet.received.map((r) => r.filter((x) => x.reason === 'rotation')[1]!);
    const previous = fleet.received.map((r) => r.filter((x) => x.reason === 'rotation')[0]!);
    const lateness = wave2.map((r, i) => r.at - previous[i]!.rotateAt).sort((a, b) => a - b);
    // Doubled: two rotations of one dataplane closer than half a rotation period.
    const doubled = fleet.received.filter((r) => {
      const at = r.filter((x) => x.reason === 'rotation').map((x) => x.at);
      return at.some((t, k) => k > 0 && t - at[k - 1]! < ROTATE_AFTER_MS / 2);
    }).length;
    let issuedRotations = 0;
    for (const a of topology.of('mesh-api')) {
      issuedRotations += await replicaMetric(
        a.url,
        'mesh_dataplane_certificates_issued_total',
        'reason="rotation"',
      );
    }
    const received = fleet.receivedSince(0, 'rotation').length;
    reportDrill('3: kill the rotation-scheduler', {
      dataplanes: FLEET,
      'wave 1: rotated when one scheduler was killed': rotatedAtFirstKill,
      'wave 1: rest done by the survivor after the kill (ms)': wave1RestMs,
      'wave 2: outage with no scheduler (ms)': backAt - downAt,
      'wave 2: rotations due during the outage': dueDuringOutage,
      'wave 2: latest rotation after its rotation time (ms)': lateness[lateness.length - 1]!,
      'rotations received': received,
      'rotations issued by mesh-api': issuedRotations,
      doubled,
      'moments without a valid certificate (lost)': fleet.invalid.length,
    });
    // The first kill came in the middle of wave 1: a third was rotated before it, not all.
    expect(rotatedAtFirstKill).toBeLessThan(FLEET);
    expect(dueDuringOutage).toBeGreaterThan(0);
    expect(third.process.logs).not.toMatch(/error/i);
    expect(doubled).toBe(0);
    expect(fleet.received.map((_, i) => rotations(i))).toEqual(fleet.received.map(() => 2));
    expect(issuedRotations).toBe(received);
    expect(fleet.invalid).toEqual([]);
    // Made within the validity left: every second rotation came before its certificate expired.
    expect(wave2.every((r, i) => r.at < previous[i]!.notAfter)).toBe(true);
  }, 240_000);
});
