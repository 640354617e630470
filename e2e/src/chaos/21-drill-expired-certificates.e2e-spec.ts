import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { parseDuration } from '@meshtls/domain';
import {
  DataplaneProcess,
  Topology,
  dataplaneToken,
  eventually,
  tempDir,
  type Replica,
  type TempDir,
} from '@meshtls/testing';
import {
  SimulatedFleet,
  adminPut,
  builtinMesh,
  replicaMetric,
  reportDrill,
  sized,
} from '../../support/chaos';

/** A certificate a dataplane held from `at` on, valid until `notAfter`. */
interface Held {
  readonly serial: string;
  readonly at: number;
  readonly notAfter: number;
}

/**
 * The longest a dataplane held an expired certificate, from one certificate's notAfter until the next
 * came (or until now for the last one), counting only what falls between `from` and `to`.
 */
function longestExpired(held: readonly Held[], from = 0, to = Date.now()): number {
  return held.reduce((longest, h, i) => {
    const start = Math.max(h.notAfter, from);
    const end = Math.min(held[i + 1]?.at ?? Date.now(), to);
    return Math.max(longest, end - start);
  }, 0);
}

/**
 * What a sidecar's `--cert-dir` held over time, read every 100 ms from the file with Node's X509 parser
 * (not the sidecar's code): each certificate, when it was first seen, and its notAfter.
 */
class CertFileWatch {
  readonly held: Held[] = [];
  private readonly timer = setInterval(() => this.sample(), 100);

  constructor(readonly dir: string) {
    this.sample();
  }

  /** Certificates first seen at or after `since`. */
  since(since: number): number {
    return this.held.filter((h) => h.at >= since).length;
  }

  validNow(): boolean {
    return (this.held.at(-1)?.notAfter ?? 0) > Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    try {
      const cert = new X509Certificate(readFileSync(join(this.dir, 'cert.pem')));
      if (this.held.at(-1)?.serial === cert.serialNumber) return;
      this.held.push({ serial: cert.serialNumber, at: Date.now(), notAfter: Date.parse(cert.validTo) });
    } catch {
      // Not written yet.
    }
  }
}

/**
 * The files of a cert dir, checked with Node's X509 parser: a certificate valid now, for the key beside
 * it, signed by the CA in ca.pem. Retried: the three files are replaced one after the other.
 */
async function expectValidCertDir(dir: string): Promise<void> {
  await eventually(() => {
    const cert = new X509Certificate(readFileSync(join(dir, 'cert.pem')));
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
    const now = Date.now();
    expect({
      dir,
      valid: Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo),
      keyMatches: cert.checkPrivateKey(key),
      signedByCa: cert.verify(ca.publicKey),
    }).toEqual({ dir, valid: true, keyMatches: true, signedByCa: true });
  }, 10_000);
}

/**
 * Drill 7: certificates that heal. Every rotation-scheduler is killed; the sidecars, noticing their
 * rotation is late, ask for their certificates themselves and get them. Then Redis dies too and stays
 * away longer than a whole certificate validity, with dataplanes that renew on their own and others that
 * never do (as sidecars that predate the renewal): no dataplane is left with an expired certificate —
 * the first kind renew through mesh-api, the second are re-issued by the replica holding their stream
 * once their certificate expired — and once Redis and the schedulers are back every dataplane holds a
 * valid certificate within 10 s, the leases are rebuilt, and the new schedulers rotate again.
 */
describe('drill 7: certificates that heal', () => {
  const VALIDITY_S = sized(10, 30);
  const VALIDITY_MS = VALIDITY_S * 1000;
  /** 10 % of the validity: with the default (at least 5 s) a 10 s certificate is asked for at 95 %. */
  const GRACE = sized('1s', '3s');
  const OUTAGE_MS = sized(25_000, 120_000);
  const FLEET = sized(16, 200);
  const LEGACY = sized(8, 100);
  const LEASE_CHECK_MS = 2_000;
  /** How soon every certificate must heal: after the bring-back, and after any expiry. */
  const HEAL_MS = 10_000;
  const SIDECARS = ['web-1', 'backend-1'];
  let topology: Topology;
  let dir: TempDir;
  let fleet: SimulatedFleet;
  let legacy: SimulatedFleet | undefined;
  let sidecars: DataplaneProcess[] = [];
  let watches: CertFileWatch[] = [];

  afterAll(async () => {
    watches.forEach((w) => w.stop());
    fleet?.stop();
    legacy?.stop();
    await Promise.all(sidecars.map((dp) => dp.stop().catch(() => undefined)));
    await topology?.stop();
    await dir?.remove();
  });

  const honoured = async () => {
    let n = 0;
    for (const api of topology.of('mesh-api'))
      n += await replicaMetric(api.url, 'mesh_dataplane_renewal_requests_total', 'outcome="honoured"');
    return n;
  };
  const held = (f: SimulatedFleet, i: number): Held[] =>
    f.received[i]!.map((r) => ({ serial: r.serial, at: r.at, notAfter: r.notAfter }));
  const longestIn = (f: SimulatedFleet | undefined, from?: number, to?: number) =>
    f ? Math.max(0, ...f.received.map((_, i) => longestExpired(held(f, i), from, to))) : 0;
  const longestInSidecars = (from?: number, to?: number) =>
    Math.max(0, ...watches.map((w) => longestExpired(w.held, from, to)));

  it('sidecars renew their certificates themselves while no rotation-scheduler runs', async () => {
    [topology, dir] = await Promise.all([
      Topology.start(
        { 'mesh-api': 2, 'ca-signer': 1, 'rotation-scheduler': 2 },
        { MESH_DP_LEASE_CHECK_MS: String(LEASE_CHECK_MS), MESH_ROTATION_INTERVAL_MS: '200' },
      ),
      tempDir('meshtls-drill-7-'),
    ]);
    const [api, other] = topology.of('mesh-api') as [Replica, Replica];
    expect(await adminPut(topology, `${api.url}/meshes/m`, builtinMesh('m', `${VALIDITY_S}s`))).toBe(201);
    sidecars = await Promise.all(
      SIDECARS.map(async (name, i) =>
        DataplaneProcess.start({
          dir: dir.path,
          mesh: 'm',
          name,
          service: name.replace(/-\d+$/, ''),
          token: await dataplaneToken(api.url, 'm', name, topology.adminToken),
          cpAddresses: i % 2 === 0 ? [api.dpAddress!, other.dpAddress!] : [other.dpAddress!, api.dpAddress!],
          caFile: topology.dpCaFile,
          extraArgs: ['--renewal-grace', GRACE],
        }),
      ),
    );
    fleet = await SimulatedFleet.start(topology, 'm', FLEET, {
      renewalGraceMs: parseDuration(GRACE)!,
      certDir: join(dir.path, 'fleet'),
    });
    await fleet.until(() => fleet.holding === FLEET, 60_000, 'first identities');
    await Promise.all(sidecars.map((dp) => dp.waitFor((v) => v.ready, 30_000)));
    watches = sidecars.map((dp) => new CertFileWatch(dp.certDir));

    for (const scheduler of topology.of('rotation-scheduler')) process.kill(scheduler.process.pid, 'SIGKILL');
    const killedAt = Date.now();
    const honouredBefore = await honoured();
    const rounds = (n: number) => () =>
      fleet.received.every((r) => r.filter((x) => x.at > killedAt).length >= n) &&
      watches.every((w) => w.since(killedAt) >= n);
    const twoRoundsMs = await fleet.until(
      rounds(2),
      sized(60_000, 150_000),
      'two renewals with no scheduler',
    );

    const renewed = fleet.receivedSince(killedAt + 1);
    const askedAndHonoured = (await honoured()) - honouredBefore;
    const renewedBySidecars = watches.reduce((n, w) => n + w.since(killedAt + 1), 0);
    const dataplanes = FLEET + SIDECARS.length;
    reportDrill('7a: sidecars renew with no rotation-scheduler', {
      dataplanes,
      'validity (s)': VALIDITY_S,
      'renewal grace': GRACE,
      'two renewals each, after the schedulers died (ms)': twoRoundsMs,
      'certificates received since': renewed.length + renewedBySidecars,
      'renewals asked by dataplanes and honoured': askedAndHonoured,
      'longest time with an expired certificate (ms)': Math.max(longestIn(fleet), longestInSidecars()),
      'moments without a valid certificate': fleet.invalid.length,
      'stream disconnects': fleet.disconnects.length,
    });
    expect(renewed.every((r) => r.reason === 'rotation')).toBe(true);
    // At most one rotation per dataplane can have been on its way when the schedulers died: every other
    // certificate since was one the dataplane asked for.
    expect(askedAndHonoured).toBeGreaterThanOrEqual(renewed.length + renewedBySidecars - dataplanes);
    expect(askedAndHonoured).toBeGreaterThanOrEqual(dataplanes);
    for (const dp of sidecars) expect(dp.process.logs).toMatch(/not rotated by .*: asking for a new one/);
    // Renewed before they expire, unless the machine is too slow for the margin left by the grace
    // (`longest time with an expired certificate` above; 0 at the small size).
    expect(Math.max(longestIn(fleet), longestInSidecars())).toBeLessThanOrEqual(HEAL_MS);
    expect(fleet.disconnects).toEqual([]);
    for (const dp of sidecars) await expectValidCertDir(dp.certDir);
    for (let i = 0; i < FLEET; i++) await expectValidCertDir(join(dir.path, 'fleet', `dp-${i}`));
  }, 240_000);

  it('Redis and every rotation-scheduler away longer than the validity: all valid again within 10 s', async () => {
    // Dataplanes that never ask themselves, connected while no scheduler runs.
    legacy = await SimulatedFleet.start(topology, 'm', LEGACY, {
      names: (i) => `legacy-${i}`,
      renew: false,
      certDir: join(dir.path, 'legacy'),
    });
    await legacy.until(() => legacy!.holding === LEGACY, 60_000, 'legacy identities');
    const total = FLEET + LEGACY + SIDECARS.length;
    const leaseCount = async () => {
      const redis = createClient({ url: topology.redis.url });
      await redis.connect();
      try {
        let n = 0;
        for await (const keys of redis.scanIterator({ MATCH: '*lease:m:*', COUNT: 1000 })) n += keys.length;
        return n;
      } finally {
        await redis.close();
      }
    };
    await eventually(async () => expect(await leaseCount()).toBe(total), 30_000);

    const downAt = Date.now();
    // The outage itself is the drill's parameter: Redis stays down this long.
    await topology.redis.restartEmpty(() => new Promise((r) => setTimeout(r, OUTAGE_MS)));
    const backAt = Date.now();
    const schedulers = [
      await topology.startReplica('rotation-scheduler', 'rotation-scheduler-3', {
        MESH_ROTATION_INTERVAL_MS: '200',
      }),
      await topology.startReplica('rotation-scheduler', 'rotation-scheduler-4', {
        MESH_ROTATION_INTERVAL_MS: '200',
      }),
    ];
    const allValid = () =>
      fleet.holding === FLEET && legacy!.holding === LEGACY && watches.every((w) => w.validNow());
    const validAgainMs = await fleet.until(allValid, 60_000, 'every dataplane valid again');
    await eventually(async () => expect(await leaseCount()).toBe(total), 30_000);
    const leasesBackMs = Date.now() - backAt;

    // The new schedulers take over: one rotation of every dataplane, none expiring meanwhile.
    const rotatedByNewSchedulers = async () => {
      let n = 0;
      for (const s of schedulers) n += await replicaMetric(s.url, 'mesh_rotations_total', 'result="rotated"');
      return n;
    };
    await eventually(
      async () => expect(await rotatedByNewSchedulers()).toBeGreaterThanOrEqual(total),
      VALIDITY_MS + 30_000,
    );
    const end = Date.now();
    const renewing = (from: number, to: number) =>
      Math.max(longestIn(fleet, from, to), longestInSidecars(from, to));
    const expired = {
      outage: { renewing: renewing(downAt, backAt), legacy: longestIn(legacy, downAt, backAt) },
      back: { renewing: renewing(backAt, end), legacy: longestIn(legacy, backAt, end) },
    };
    const invalidAfterBack = {
      renewing: fleet.invalid.filter((m) => m.at > backAt + validAgainMs).length,
      legacy: legacy.invalid.filter((m) => m.at > backAt + validAgainMs).length,
    };
    reportDrill('7b: Redis and every rotation-scheduler away longer than the validity', {
      'dataplanes (renewing themselves + not + sidecars)': `${FLEET} + ${LEGACY} + ${SIDECARS.length}`,
      'validity (s)': VALIDITY_S,
      'Redis down (ms)': backAt - downAt,
      'every dataplane valid after Redis and schedulers were back (ms)': validAgainMs,
      'longest expired during the outage, renewing themselves (ms)': expired.outage.renewing,
      'longest expired during the outage, not renewing (ms)': expired.outage.legacy,
      'longest expired after the bring-back, renewing themselves (ms)': expired.back.renewing,
      'longest expired after the bring-back, not renewing (ms)': expired.back.legacy,
      'longest expired, any dataplane (ms)': Math.max(
        ...Object.values(expired).flatMap((e) => [e.renewing, e.legacy]),
      ),
      'every lease back in Redis after its restart (ms)': leasesBackMs,
      'rotations by the new schedulers': await rotatedByNewSchedulers(),
      'moments without a valid certificate once all were valid (renewing / not)': `${invalidAfterBack.renewing} / ${invalidAfterBack.legacy}`,
      'stream disconnects': fleet.disconnects.length + legacy.disconnects.length,
    });
    expect(validAgainMs).toBeLessThanOrEqual(HEAL_MS);
    // Those renewing themselves renew through mesh-api while Redis is away; the others are re-issued by
    // their replica's lease check (every 2 s here) once theirs expired, also while Redis is away.
    expect(expired.outage.legacy).toBeGreaterThan(0);
    for (const e of Object.values(expired)) {
      expect(e.renewing).toBeLessThanOrEqual(HEAL_MS);
      expect(e.legacy).toBeLessThanOrEqual(HEAL_MS);
    }
    expect([...fleet.disconnects, ...legacy.disconnects]).toEqual([]);
    for (const s of schedulers) expect(s.process.logs).not.toMatch(/error/i);
    for (const dp of sidecars) await expectValidCertDir(dp.certDir);
    for (let i = 0; i < LEGACY; i++) await expectValidCertDir(join(dir.path, 'legacy', `legacy-${i}`));
  }, 420_000);
});
