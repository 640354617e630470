import { Topology, type Replica } from '@meshtls/testing';

/**
 * What main.ts wires: the stats-collector role over real NATS (store, bus and its durable event
 * consumer) and Redis, health, /metrics and a graceful stop. Runs the built process from dist.
 */
describe('stats-collector process', () => {
  let topology: Topology;
  let replica: Replica;

  beforeAll(async () => {
    topology = await Topology.start({ 'stats-collector': 1 });
    [replica] = topology.of('stats-collector');
  }, 60_000);

  afterAll(() => topology?.stop());

  it('is ready over NATS and shows its insight metrics', async () => {
    const ready = await fetch(`${replica.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      instance: 'stats-collector-1',
      roles: ['stats-collector'],
      checks: { store: 'ok', bus: 'ok' },
    });
    const metrics = await fetch(`${replica.url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('# TYPE mesh_insight_events_total counter');
    expect(text).toContain('# TYPE mesh_dataplanes_with_certificate gauge');
  });

  it('stops on SIGTERM after its shutdown hooks, with exit code 0', async () => {
    expect(await replica.process.stop()).toEqual({ code: 0, signal: null });
  });
});
