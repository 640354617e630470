import { Topology, eventually, type Replica } from '@meshtls/testing';
import { reportDrill, sized } from '../support/chaos';

/**
 * Two mesh-api replicas apply conflicting updates to one Mesh at the same moment, round after round: each
 * update either wins (200) or is told it lost (409); what both replicas serve after a round is exactly one
 * of its winners, never a mix, and it is newer (modificationTime) than what they served after the round
 * before: an update of an earlier round, answered before this round's were sent, never comes back over it.
 */
describe('conflicting updates through two replicas', () => {
  let topology: Topology;
  let apis: Replica[];

  const put = async (api: Replica, body: object) => {
    const response = await fetch(`${api.url}/meshes/m`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${topology.adminToken}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  };
  /** A Mesh as served: one of `mesh(n)` (or, before any update, the Mesh without mTLS). */
  type Stored = Partial<ReturnType<typeof mesh>> & { modificationTime: string };
  const get = async (api: Replica) => (await (await fetch(`${api.url}/meshes/m`)).json()) as Stored;
  const numberOf = (stored: Stored) => Number(stored.mtls?.backends[0]?.name.slice(3));
  // mTLS stays off: with it on, replacing the issuing backend outright is refused (a CA switch lists both).
  const mesh = (n: number) => ({
    type: 'Mesh',
    name: 'm',
    mtls: {
      backends: [{ name: `ca-${n}`, type: 'builtin', dpCert: { rotation: { expiration: `${n + 1}h` } } }],
    },
  });

  beforeAll(async () => {
    topology = await Topology.start({ 'mesh-api': 2, 'ca-signer': 1 });
    apis = topology.of('mesh-api');
    expect((await put(apis[0]!, { type: 'Mesh', name: 'm' })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await topology?.stop();
  });

  it('lets one of each racing round win and tells the others', async () => {
    const ROUNDS = sized(5, 20);
    const WRITERS = sized(6, 12);
    let conflicts = 0;
    let wins = 0;
    const others: string[] = [];
    const unclear: string[] = [];
    const badRounds: string[] = [];
    const wentBack: string[] = [];
    let previous: Stored | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const attempts = Array.from({ length: WRITERS }, (_, i) => round * 100 + i);
      const results = await Promise.all(attempts.map((n, i) => put(apis[i % 2]!, mesh(n))));
      for (const r of results) if (r.status !== 200 && r.status !== 409) others.push(`${r.status} ${r.text}`);
      conflicts += results.filter((r) => r.status === 409).length;
      for (const r of results.filter((x) => x.status === 409 && !/conflict|changed/i.test(x.text))) {
        unclear.push(r.text);
      }
      const winners = attempts.filter((_, i) => results[i]!.status === 200);
      wins += winners.length;
      if (winners.length === 0) badRounds.push(`round ${round}: no winner`);
      // Both replicas come to serve the same Mesh (the other replica's writes arrive through NATS).
      let served!: Stored;
      await eventually(async () => {
        const [a, b] = await Promise.all(apis.map(get));
        expect(b).toEqual(a);
        served = a!;
      }, 15_000).catch(async () => {
        badRounds.push(`round ${round}: the replicas serve different meshes`);
        served = await get(apis[0]!);
      });
      // What they serve is one whole winner: backend name and validity belong together.
      const n = numberOf(served);
      const whole = JSON.stringify(served.mtls?.backends) === JSON.stringify(mesh(n).mtls.backends);
      if (!winners.includes(n) || !whole) badRounds.push(`round ${round}: the replicas serve ${n}`);
      // Every update of this round was sent after the previous round's were answered.
      if (previous && served.modificationTime <= previous.modificationTime)
        wentBack.push(
          `round ${round}: ${n} (${served.modificationTime}) is not newer than round ${round - 1}'s ` +
            `${numberOf(previous)} (${previous.modificationTime})`,
        );
      previous = served;
    }
    reportDrill('6: conflicting updates of one Mesh through two replicas', {
      'racing rounds': ROUNDS,
      'updates per round': WRITERS,
      'answered 200': wins,
      'answered 409 with the reason': conflicts - unclear.length,
      'other answers': others.length,
      'rounds serving a mix or a loser (lost or corrupted)': badRounds.length,
      'rounds serving an update older than the round before': wentBack.length,
    });
    expect(others).toEqual([]);
    expect(unclear).toEqual([]);
    expect(badRounds).toEqual([]);
    expect(wentBack).toEqual([]);
    // Racing writers did collide (otherwise this checked nothing about conflicts).
    expect(conflicts).toBeGreaterThan(0);
  }, 120_000);
});
