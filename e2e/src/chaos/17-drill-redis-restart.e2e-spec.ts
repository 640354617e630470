import { createClient } from 'redis';
import { Topology, eventually } from '@meshtls/testing';
import {
  SimulatedFleet,
  adminPut,
  builtinMesh,
  replicaMetric,
  reportDrill,
  sized,
} from '../../support/chaos';

/**
 * Drill 4: Redis dies (SIGKILL) and comes back empty, as one without persistence does. The leases of every
 * connected dataplane are rebuilt from the mesh-api replicas that hold their streams, with no certificate
 * issued again (no storm on ca-signer), and new dataplanes keep getting certificates.
 */
describe('drill 4: restart Redis with its data gone', () => {
  const FLEET = sized(60, 1000);
  let topology: Topology;
  let fleet: SimulatedFleet;
  let late: SimulatedFleet | undefined;

  afterAll(async () => {
    fleet?.stop();
    late?.stop();
    await topology?.stop();
  });

  const redisClient = () => createClient({ url: topology.redis.url });
  const withRedis = async <T>(use: (redis: ReturnType<typeof redisClient>) => Promise<T>): Promise<T> => {
    const redis = redisClient();
    await redis.connect();
    try {
      return await use(redis);
    } finally {
      await redis.close();
    }
  };
  const leaseCount = () =>
    withRedis(async (redis) => {
      let n = 0;
      for await (const keys of redis.scanIterator({ MATCH: '*lease:m:*', COUNT: 1000 })) n += keys.length;
      return n;
    });
  /** Waits until Redis holds `n` leases of the mesh; resolves with how long that took. */
  const leasesReach = async (n: number, timeoutMs: number): Promise<number> => {
    const started = Date.now();
    await eventually(async () => expect(await leaseCount()).toBe(n), timeoutMs);
    return Date.now() - started;
  };
  const signed = async () => {
    let n = 0;
    for (const s of topology.of('ca-signer'))
      n += await replicaMetric(s.url, 'mesh_ca_certificates_signed_total');
    return n;
  };

  it('rebuilds every lease from the connected dataplanes without issuing again', async () => {
    topology = await Topology.start(
      { 'mesh-api': 2, 'ca-signer': 1, 'rotation-scheduler': 1 },
      { MESH_DP_LEASE_CHECK_MS: '500' },
    );
    const api = topology.of('mesh-api')[0]!;
    expect(await adminPut(topology, `${api.url}/meshes/m`, builtinMesh('m', '1h'))).toBe(201);
    fleet = await SimulatedFleet.start(topology, 'm', FLEET);
    await fleet.until(() => fleet.holding === FLEET, 60_000, 'first identities');
    // A dataplane gets its certificate a moment before its lease is written.
    await leasesReach(FLEET, 30_000);
    const signedBefore = await signed();
    // A key no process of the mesh writes: gone after the restart only if Redis lost its data.
    const MARKER = 'drill-4:written-before-the-restart';
    await withRedis((redis) => redis.set(MARKER, '1'));

    const restartedAt = Date.now();
    await topology.redis.restartEmpty();
    const emptyAfterMs = Date.now() - restartedAt;
    expect(await withRedis((redis) => redis.exists(MARKER))).toBe(0);
    const rebuiltMs = await leasesReach(FLEET, 30_000);
    const reissued = fleet.receivedSince(restartedAt).length;
    const signedDuring = (await signed()) - signedBefore;

    // The lease store works again: new dataplanes get certificates and leases.
    const LATE = 5;
    late = await SimulatedFleet.start(topology, 'm', LATE, { names: (i) => `late-${i}` });
    await late.until(() => late!.holding === LATE, 30_000, 'late dataplanes');
    await leasesReach(FLEET + LATE, 30_000);
    reportDrill('4: Redis restarted empty', {
      dataplanes: FLEET,
      'Redis down and back (ms)': emptyAfterMs,
      'leases rebuilt after the restart (ms)': rebuiltMs + emptyAfterMs,
      'leases rebuilt': FLEET,
      'certificates issued again (storm)': reissued,
      'ca-signer signatures meanwhile': signedDuring,
      'stream disconnects': fleet.disconnects.length,
      'moments without a valid certificate': fleet.invalid.length,
      'late dataplanes served after it': LATE,
      lost: FLEET - fleet.holding,
    });
    expect(reissued).toBe(0);
    expect(signedDuring).toBe(0);
    expect(fleet.disconnects).toEqual([]);
    expect(fleet.invalid).toEqual([]);
  }, 240_000);
});
