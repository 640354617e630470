import { Topology, type Replica, type Role } from './topology';

export interface RoleProcessChecks {
  /** What the role serves beyond health, checked while it is up (e.g. mesh-api's resource API). */
  readonly serving?: (replica: Replica) => Promise<void>;
  /** Checks of its /metrics text: the series only this role's module registers. */
  readonly metrics: (text: string) => void;
}

/**
 * The spec of what a role's main.ts wires, shared by the four distributed roles: the built process
 * from dist, alone in a topology of real NATS and Redis, is ready with its store and bus, serves what
 * `checks` says, and stops on SIGTERM after its shutdown hooks with exit code 0.
 */
export function describeRoleProcess(role: Role, checks: RoleProcessChecks): void {
  describe(`${role} process`, () => {
    let topology: Topology;
    let replica: Replica;

    beforeAll(async () => {
      topology = await Topology.start({ [role]: 1 });
      [replica] = topology.of(role) as [Replica];
    }, 60_000);

    afterAll(() => topology?.stop());

    it('is ready over NATS and Redis, serves its role and shows its metrics', async () => {
      const ready = await fetch(`${replica.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ok',
        instance: `${role}-1`,
        roles: [role],
        checks: { store: 'ok', bus: 'ok' },
      });
      await checks.serving?.(replica);
      const metrics = await fetch(`${replica.url}/metrics`);
      expect(metrics.status).toBe(200);
      checks.metrics(await metrics.text());
    });

    it('stops on SIGTERM after its shutdown hooks, with exit code 0', async () => {
      expect(await replica.process.stop()).toEqual({ code: 0, signal: null });
    });
  });
}
