import { Global, Module, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { eventually } from '@meshtls/testing';
import { Test, type TestingModule } from '@nestjs/testing';
import { addressedTo, rotateDataplane } from '@meshtls/contracts';
import {
  CLOCK,
  CORE_CONFIG,
  HEALTH_DEGRADATIONS,
  HealthDegradations,
  LEASE_STORE,
  MESSAGE_BUS,
  METRICS,
} from '@meshtls/nest-core';
import { Registry } from 'prom-client';
import { InProcessBus, type MessageBus } from '@meshtls/bus';
import type { Lease, LeaseStore } from '@meshtls/store';
import { MemoryLeaseStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { loadRotationSchedulerConfig } from './rotation-scheduler.config';
import { RotationSchedulerModule } from './rotation-scheduler.module';

const clock = new FakeClock('2026-06-01T12:00:00Z');
const leases = new MemoryLeaseStore(clock);
const bus = new InProcessBus();
const events: string[] = [];

const metrics = new Registry();

/** What CoreModule provides and the rotation scheduler uses, as given (the clock is the spec's). */
const coreProviders = (core: {
  instanceId: string;
  leases: LeaseStore;
  bus: MessageBus;
  metrics: Registry;
  degradations: HealthDegradations;
}) => [
  { provide: CORE_CONFIG, useValue: { instanceId: core.instanceId } },
  { provide: CLOCK, useValue: clock },
  { provide: LEASE_STORE, useValue: core.leases },
  { provide: MESSAGE_BUS, useValue: core.bus },
  { provide: METRICS, useValue: core.metrics },
  { provide: HEALTH_DEGRADATIONS, useValue: core.degradations },
];
const CORE_TOKENS = [CORE_CONFIG, CLOCK, LEASE_STORE, MESSAGE_BUS, METRICS, HEALTH_DEGRADATIONS];

/** Stands in for CoreModule: the same tokens, and a shutdown hook that closes the infrastructure. */
@Global()
@Module({
  providers: coreProviders({
    instanceId: 'rotation-scheduler-1',
    leases,
    bus,
    metrics,
    degradations: new HealthDegradations(),
  }),
  exports: CORE_TOKENS,
})
class FakeCoreModule implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    events.push('infrastructure closed');
    await bus.close();
  }
}

/** RotationSchedulerModule on `core`, passing every 50 ms, started. */
const startScheduler = async (core: Type): Promise<TestingModule> => {
  const config = loadRotationSchedulerConfig({ MESH_ROTATION_INTERVAL_MS: '50' });
  const app = await Test.createTestingModule({
    imports: [core, RotationSchedulerModule.forRoot(config)],
  }).compile();
  app.useLogger(false);
  await app.init();
  return app;
};

const dueLease = (dataplane: string): Lease => ({
  mesh: 'default',
  dataplane,
  serial: 'aa01',
  notBefore: '2026-06-01T00:00:00Z',
  notAfter: '2026-06-02T00:00:00Z',
  rotateAt: '2026-06-01T11:00:00Z',
  backend: 'ca-1',
  supportedBackends: ['ca-1'],
  controlPlaneInstance: 'mesh-api-1@3f2a',
  session: 's-1',
});

describe('RotationSchedulerModule', () => {
  let app: TestingModule;

  afterAll(async () => {
    await app?.close();
  });

  it('rotates due leases from start-up and finishes its pass before the infrastructure closes', async () => {
    let release: () => void = () => undefined;
    bus.serve(
      addressedTo(rotateDataplane, 'mesh-api-1@3f2a'),
      async (request) => {
        events.push(`request ${request.dataplane}`);
        await new Promise<void>((r) => (release = r));
        events.push(`answered ${request.dataplane}`);
        return { status: 'rotated' };
      },
      { queue: 'mesh-api-1@3f2a' },
    );
    await leases.put(dueLease('dp-1'));
    app = await startScheduler(FakeCoreModule);

    await eventually(() => expect(events).toEqual(['request dp-1']));
    // The lease is due, and counted as such on /metrics.
    expect(await metrics.getSingleMetricAsString('mesh_rotation_leases_due')).toMatch(
      /^mesh_rotation_leases_due 1$/m,
    );
    // Claimed by this replica, under its instance id.
    expect(await leases.claim('default', 'dp-1', 'aa01', 'someone-else', 1000)).toBe(false);
    const closing = app.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual(['request dp-1']);
    release();
    await closing;
    expect(events).toEqual(['request dp-1', 'answered dp-1', 'infrastructure closed']);
    expect(await metrics.getSingleMetricAsString('mesh_rotations_total')).toMatch(
      /^mesh_rotations_total\{result="rotated"\} 1$/m,
    );
  });
});

describe('RotationSchedulerModule readiness', () => {
  let app: TestingModule | undefined;
  afterEach(async () => {
    await app?.close();
  });

  it('is degraded while its passes fail, and ready again after a pass that succeeds', async () => {
    const degradations = new HealthDegradations();
    const store = new MemoryLeaseStore(clock);
    let failing = true;
    const flaky = Object.assign(Object.create(store) as MemoryLeaseStore, {
      listDue: (now: Date, limit: number) =>
        failing ? Promise.reject(new Error('redis: connection lost')) : store.listDue(now, limit),
    });
    @Global()
    @Module({
      providers: coreProviders({
        instanceId: 'rotation-scheduler-2',
        leases: flaky,
        bus: new InProcessBus(),
        metrics: new Registry(),
        degradations,
      }),
      exports: CORE_TOKENS,
    })
    class FlakyCoreModule {}
    app = await startScheduler(FlakyCoreModule);

    await eventually(() =>
      expect(degradations.list().map((d) => [d.source, d.reason])).toEqual([
        ['rotation:pass', 'rotation pass failed: redis: connection lost'],
      ]),
    );
    failing = false;
    await eventually(() => expect(degradations.size).toBe(0));
  });
});
