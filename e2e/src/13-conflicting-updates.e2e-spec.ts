import { Topology, type Replica } from '@meshtls/testing';

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
    let conflicts = 0;
    for (let round = 0; round < 5; round++) {
      const attempts = Array.from({ length: 6 }, (_, i) => round * 10 + i);
      const results = await Promise.all(attempts.map((n, i) => put(apis[i % 2]!, mesh(n))));
      for (const r of results) expect([200, 409]).toContain(r.status);
      conflicts += results.filter((r) => r.status === 409).length;
      for (const r of results.filter((x) => x.status === 409)) expect(r.text).toMatch(/conflict|changed/i);
      const winners = attempts.filter((_, i) => results[i]!.status === 200);
      expect(winners.length).toBeGreaterThanOrEqual(1);
      // What both replicas now serve is one whole winner: backend name and validity belong together.
      for (const api of apis) {
        const stored = (await (await fetch(`${api.url}/meshes/m`)).json()) as ReturnType<typeof mesh>;
        const n = Number(stored.mtls.enabledBackend.slice(3));
        expect(winners).toContain(n);
        expect(stored.mtls.backends).toEqual(mesh(n).mtls.backends);
      }
    }
    // Racing writers did collide (otherwise this checked nothing about conflicts).
    expect(conflicts).toBeGreaterThan(0);
  });
});
