import { Topology, type Replica } from '@meshtls/testing';

/**
 * What main.ts wires: the ca-signer role over real NATS (store and bus) and Redis, health, /metrics and a
 * graceful stop. Runs the built process from dist.
 */
describe('ca-signer process', () => {
  let topology: Topology;
  let replica: Replica;

  beforeAll(async () => {
    topology = await Topology.start({ 'ca-signer': 1 });
    [replica] = topology.of('ca-signer');
  }, 60_000);

  afterAll(() => topology?.stop());

  it('is ready over NATS and shows its admission metrics', async () => {
    const ready = await fetch(`${replica.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      instance: 'ca-signer-1',
      roles: ['ca-signer'],
      checks: { store: 'ok', bus: 'ok' },
    });
    const metrics = await fetch(`${replica.url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^mesh_ca_admission_in_flight\{roles="ca-signer"\} 0$/m);
    expect(text).toContain('# TYPE mesh_ca_certificates_signed_total counter');
  });

  it('stops on SIGTERM after its shutdown hooks, with exit code 0', async () => {
    expect(await replica.process.stop()).toEqual({ code: 0, signal: null });
  });
});
