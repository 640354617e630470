import { Topology, type Replica } from '@meshtls/testing';

/**
 * What main.ts wires: the rotation-scheduler role over real NATS (store and bus) and Redis (leases),
 * health, /metrics and a graceful stop. Runs the built process from dist.
 */
describe('rotation-scheduler process', () => {
  let topology: Topology;
  let replica: Replica;

  beforeAll(async () => {
    topology = await Topology.start({ 'rotation-scheduler': 1 });
    [replica] = topology.of('rotation-scheduler');
  }, 60_000);

  afterAll(() => topology?.stop());

  it('is ready over NATS and counts due leases in Redis on /metrics', async () => {
    const ready = await fetch(`${replica.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      instance: 'rotation-scheduler-1',
      roles: ['rotation-scheduler'],
      checks: { store: 'ok', bus: 'ok' },
    });
    const metrics = await fetch(`${replica.url}/metrics`);
    expect(metrics.status).toBe(200);
    // Read from Redis at every scrape: no lease is due in an empty store.
    expect(await metrics.text()).toMatch(/^mesh_rotation_leases_due\{roles="rotation-scheduler"\} 0$/m);
  });

  it('stops on SIGTERM after its shutdown hooks, with exit code 0', async () => {
    expect(await replica.process.stop()).toEqual({ code: 0, signal: null });
  });
});
