import { Topology, type Replica } from '@meshtls/testing';
import { reportDrill, sized } from '../support/chaos';

/**
 * Two mesh-api replicas apply conflicting updates to one Mesh at the same moment: each update either
 * wins (200) or is told it lost (409); what is stored afterwards is exactly one of the winners, never a
 * mix, and no update answered 200 is silently overwritten by one applied before it.
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
  const mesh = (n: number) => ({
    type: 'Mesh',
    name: 'm',
    mtls: {
      enabledBackend: `ca-${n}`,
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
      // What both replicas now serve is one whole winner: backend name and validity belong together.
      for (const api of apis) {
        const stored = (await (await fetch(`${api.url}/meshes/m`)).json()) as ReturnType<typeof mesh>;
        const n = Number(stored.mtls.enabledBackend.slice(3));
        const whole = JSON.stringify(stored.mtls.backends) === JSON.stringify(mesh(n).mtls.backends);
        if (!winners.includes(n) || !whole) badRounds.push(`round ${round}: ${api.instanceId} serves ${n}`);
      }
    }
    reportDrill('6: conflicting updates of one Mesh through two replicas', {
      'racing rounds': ROUNDS,
      'updates per round': WRITERS,
      'answered 200': wins,
      'answered 409 with the reason': conflicts - unclear.length,
      'other answers': others.length,
      'rounds serving a mix or a loser (lost or corrupted)': badRounds.length,
    });
    expect(others).toEqual([]);
    expect(unclear).toEqual([]);
    expect(badRounds).toEqual([]);
    // Racing writers did collide (otherwise this checked nothing about conflicts).
    expect(conflicts).toBeGreaterThan(0);
  }, 120_000);
});
