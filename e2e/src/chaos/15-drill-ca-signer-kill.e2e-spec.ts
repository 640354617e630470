import { Topology, eventually, tempDir, type Replica, type TempDir } from '@meshtls/testing';
import { http } from '../../support/cli';
import {
  SimulatedFleet,
  adminPut,
  builtinMesh,
  replicaMetric,
  reportDrill,
  sized,
} from '../../support/chaos';
import { metricSum } from '../../support/traffic';

/**
 * Drill 2: SIGKILL of a ca-signer in the middle of a burst of first certificates. The survivor answers
 * every request (the ones the dead one took are asked again under the same request id), no CA is created
 * twice, and no request gets two certificates.
 */
describe('drill 2: kill -9 a ca-signer during a burst of issuance', () => {
  const FLEET = sized(80, 1000);
  // Slow signers (a rate limit), so that the burst lasts and the killed one dies with requests in hand.
  const RATE = sized(30, 150);
  let topology: Topology;
  let dir: TempDir;
  let fleet: SimulatedFleet;
  let frozenFleet: SimulatedFleet | undefined;
  let survivor: Replica;

  /** Every certificate as ca-signer logged it: request id → serials signed for it, by any of `signers`. */
  const signedPerRequest = (signers: Replica[], prefix: string) => {
    const signed = new Map<string, string[]>();
    const pattern = new RegExp(`signed ([0-9A-F]+) for m/${prefix}-\\d+ \\(new, request ([\\w-]+)\\)`, 'g');
    for (const signer of signers) {
      for (const m of signer.process.logs.matchAll(pattern)) {
        signed.set(m[2]!, [...(signed.get(m[2]!) ?? []), m[1]!]);
      }
    }
    return signed;
  };

  /**
   * Certificate asks the mesh-api replicas made so far (one per certificate given, one per ask repeated),
   * and how many of them were repeated because nobody answered.
   */
  const asked = async () => {
    let [total, unanswered] = [0, 0];
    for (const api of topology.of('mesh-api')) {
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      total += metricSum(metrics, 'mesh_dataplane_certificates_issued_total');
      total += metricSum(metrics, 'mesh_dataplane_certificate_request_retries_total');
      unanswered += metricSum(metrics, 'mesh_dataplane_certificate_request_retries_total', 'unanswered');
    }
    return { total, unanswered };
  };
  /** What `signer` did so far with the asks it got: signed, answered from its ledger, or shed. */
  const answered = async (signer: Replica) => {
    const metrics = await (await fetch(`${signer.url}/metrics`)).text();
    const signed = metricSum(metrics, 'mesh_ca_certificates_signed_total');
    const repeats = metricSum(metrics, 'mesh_ca_repeated_requests_total');
    const shed = metricSum(metrics, 'mesh_ca_admission_rejections_total');
    return { signed, repeats, total: signed + repeats + shed };
  };

  afterAll(async () => {
    fleet?.stop();
    frozenFleet?.stop();
    await topology?.stop();
    await dir?.remove();
  });

  it('answers every request from the survivor, with one CA and one certificate per request', async () => {
    [topology, dir] = await Promise.all([
      Topology.start(
        { 'mesh-api': 2, 'rotation-scheduler': 1 },
        { MESH_DP_ISSUE_ATTEMPT_TIMEOUT_MS: '3000' },
      ),
      tempDir('meshtls-drill-2-'),
    ]);
    const signerEnv = {
      MESH_LOG_LEVEL: 'debug',
      MESH_CA_RATE: String(RATE),
      MESH_CA_BURST: '5',
      MESH_CA_MAX_WAIT_MS: '2000',
    };
    const signers: Replica[] = [];
    for (const id of ['ca-signer-1', 'ca-signer-2'])
      signers.push(await topology.startReplica('ca-signer', id, signerEnv));
    const killed = signers[0]!;
    survivor = signers[1]!;
    const api = topology.of('mesh-api')[0]!;
    expect(await adminPut(topology, `${api.url}/meshes/m`, builtinMesh('m', '1h'))).toBe(201);
    const caSecret = `${api.url}/meshes/m/secrets/m.ca-builtin-cert-ca-1`;
    const caBefore = (await http('GET', caSecret, { token: topology.adminToken })).json;
    expect(caBefore).toMatchObject({ type: 'Secret', name: 'm.ca-builtin-cert-ca-1' });

    fleet = await SimulatedFleet.start(topology, 'm', FLEET);
    await fleet.until(() => fleet.holding >= FLEET / 4, 60_000, 'a quarter of the burst');
    const signedByKilled = await replicaMetric(killed.url, 'mesh_ca_certificates_signed_total').catch(
      () => -1,
    );
    process.kill(killed.process.pid, 'SIGKILL');
    const heldAtKill = fleet.holding;
    const restMs = await fleet.until(() => fleet.holding === FLEET, 120_000, 'the rest of the burst');

    const signed = signedPerRequest(signers, 'dp');
    const serialRequest = new Map(
      [...signed].flatMap(([id, serials]) => serials.map((s) => [s, id] as const)),
    );
    const delivered = fleet.received.flat();
    const deliveredRequests = delivered.map((r) => serialRequest.get(r.serial));
    const deliveredPerRequest = new Map<string, number>();
    for (const id of deliveredRequests) {
      if (id !== undefined) deliveredPerRequest.set(id, (deliveredPerRequest.get(id) ?? 0) + 1);
    }
    const signedTwice = [...signed.values()].filter((serials) => serials.length > 1).length;
    const repeats = await replicaMetric(survivor.url, 'mesh_ca_repeated_requests_total');
    let unanswered = 0;
    for (const api of topology.of('mesh-api')) {
      unanswered += await replicaMetric(
        api.url,
        'mesh_dataplane_certificate_request_retries_total',
        'unanswered',
      );
    }
    const caAfter = (await http('GET', caSecret, { token: topology.adminToken })).json;
    const anchors = new Set(delivered.map((r) => r.trustBundlePem));
    reportDrill('2: kill -9 ca-signer during a burst', {
      dataplanes: FLEET,
      'holding a certificate at the kill': heldAtKill,
      'signed by the killed ca-signer before it died': signedByKilled,
      'rest of the burst after the kill (ms)': restMs,
      'certificates delivered': delivered.length,
      'requests with more than one certificate delivered': [...deliveredPerRequest.values()].filter(
        (n) => n > 1,
      ).length,
      'requests signed twice (first signer died before answering)': signedTwice,
      'requests asked again (unanswered by the killed one)': unanswered,
      'repeated request ids answered from the ledger': repeats,
      'stream disconnects': fleet.disconnects.length,
      'CAs in the trust bundles': anchors.size,
      lost: FLEET - fleet.holding,
    });
    // Every dataplane got exactly one certificate, signed for a request ca-signer logged, on its first stream.
    expect(fleet.received.map((r) => r.length)).toEqual(fleet.received.map(() => 1));
    expect(deliveredRequests.filter((id) => id === undefined)).toEqual([]);
    expect(new Set(deliveredRequests).size).toBe(FLEET);
    expect(fleet.disconnects).toEqual([]);
    // The killed one died with requests in hand, and they were asked again.
    expect(unanswered).toBeGreaterThan(0);
    // The CA was made once: the stored one never rewritten, one anchor everywhere.
    expect(caAfter).toEqual(caBefore);
    expect(anchors.size).toBe(1);
    expect(fleet.invalid).toEqual([]);
  }, 240_000);

  it('signs a request asked again while its ca-signer was frozen once, and answers both asks with it', async () => {
    // The survivor alone now: frozen (SIGSTOP) longer than mesh-api waits for an answer, every request it
    // holds is asked again, to it, under the same id; thawed, it signs each once and answers both asks.
    const FROZEN = sized(20, 200);
    const signedBefore = signedPerRequest([survivor], 'frozen').size;
    expect(signedBefore).toBe(0);
    const [askedBefore, answeredBefore] = [await asked(), await answered(survivor)];
    process.kill(survivor.process.pid, 'SIGSTOP');
    try {
      frozenFleet = await SimulatedFleet.start(topology, 'm', FROZEN, { names: (i) => `frozen-${i}` });
      // Each request left unanswered past MESH_DP_ISSUE_ATTEMPT_TIMEOUT_MS and asked again.
      await eventually(async () => {
        expect((await asked()).unanswered - askedBefore.unanswered).toBeGreaterThanOrEqual(FROZEN);
      }, 60_000);
      expect(frozenFleet.holding).toBe(0);
    } finally {
      process.kill(survivor.process.pid, 'SIGCONT');
    }
    const thawedMs = await frozenFleet.until(() => frozenFleet!.holding === FROZEN, 60_000, 'after the thaw');
    // Quiet: the survivor has answered every ask mesh-api made (no second signature can still come), and
    // every signature it counted is in its log as read here.
    let answeredAfter = answeredBefore;
    await eventually(async () => {
      answeredAfter = await answered(survivor);
      expect(answeredAfter.total - answeredBefore.total).toBe((await asked()).total - askedBefore.total);
      const logged = [...signedPerRequest([survivor], 'frozen').values()].flat().length;
      expect(logged).toBe(answeredAfter.signed - answeredBefore.signed);
    }, 30_000);
    const signed = signedPerRequest([survivor], 'frozen');
    const signedTwice = [...signed.values()].filter((serials) => serials.length > 1).length;
    const repeats = answeredAfter.repeats - answeredBefore.repeats;
    reportDrill('2b: ca-signer frozen longer than the request timeout', {
      dataplanes: FROZEN,
      'all served after the thaw (ms)': thawedMs,
      'requests signed': signed.size,
      'requests signed twice': signedTwice,
      'asks answered from the ledger (same request id)': repeats,
      'certificates delivered': frozenFleet.received.flat().length,
    });
    expect(signedTwice).toBe(0);
    expect(signed.size).toBe(FROZEN);
    expect(repeats).toBeGreaterThan(0);
    expect(frozenFleet.received.map((r) => r.length)).toEqual(frozenFleet.received.map(() => 1));
    expect(frozenFleet.disconnects).toEqual([]);
  }, 240_000);
});
