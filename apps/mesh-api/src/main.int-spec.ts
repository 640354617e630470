import { Topology, type Replica } from '@meshtls/testing';

/**
 * What main.ts wires: the mesh-api role (REST API and dataplane server) over real NATS (store and bus)
 * and Redis, health, /metrics and a graceful stop. Runs the built process from dist.
 */
describe('mesh-api process', () => {
  let topology: Topology;
  let replica: Replica;

  beforeAll(async () => {
    topology = await Topology.start({ 'mesh-api': 1 });
    [replica] = topology.of('mesh-api');
  }, 60_000);

  afterAll(() => topology?.stop());

  it('is ready over NATS, serves the resource API and the dataplane server, and shows its metrics', async () => {
    const ready = await fetch(`${replica.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      instance: 'mesh-api-1',
      roles: ['mesh-api'],
      checks: { store: 'ok', bus: 'ok' },
    });
    const meshes = await fetch(`${replica.url}/meshes`);
    expect(meshes.status).toBe(200);
    expect(await meshes.json()).toEqual({ total: 0, items: [], next: null });
    expect(replica.process.logs).toContain(`dataplane server listening on grpcs://${replica.dpAddress}`);

    const metrics = await fetch(`${replica.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^mesh_dataplanes_connected\{roles="mesh-api"\} 0$/m);
  });

  it('stops on SIGTERM after its shutdown hooks, with exit code 0', async () => {
    expect(await replica.process.stop()).toEqual({ code: 0, signal: null });
  });
});
