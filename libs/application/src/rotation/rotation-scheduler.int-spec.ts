import { addressedTo, rotateDataplane } from '@meshtls/contracts';
import { rotateAtOf } from '@meshtls/domain';
import { NatsBus } from '@meshtls/bus';
import type { Lease } from '@meshtls/store';
import { RedisLeaseStore } from '@meshtls/store/adapters';
import {
  startNatsServer,
  startRedisServer,
  type NatsServerHandle,
  type RedisServerHandle,
} from '@meshtls/testing';
import { FakeClock, type RejectedValue } from '@meshtls/util';
import { RotationScheduler, type RotationTickReport } from './rotation-scheduler';

const DAY = 24 * 3600_000;
const FLEET = 200;

/** A day-long certificate's window, 0.9 of which has passed by the clock's now: due for rotation. */
const dueWindow = (clock: FakeClock) => {
  const notBefore = new Date(clock.now().getTime() - 0.9 * DAY);
  return { notBefore, notAfter: new Date(notBefore.getTime() + DAY) };
};

/** The lease of a certificate in that window. */
const dueLease = (
  clock: FakeClock,
  dataplane: string,
  serial: string,
  controlPlaneInstance: string,
  session: string,
): Lease => {
  const { notBefore, notAfter } = dueWindow(clock);
  return {
    mesh: 'default',
    dataplane,
    serial,
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    rotateAt: rotateAtOf(notBefore, notAfter).toISOString(),
    backend: 'ca-1',
    supportedBackends: ['ca-1'],
    controlPlaneInstance,
    session,
  };
};

/**
 * Two schedulers, each with its own Redis and NATS connections as two processes would have, against
 * two mesh-api stand-ins and one replica that is gone.
 */
describe('RotationScheduler on Redis and NATS', () => {
  let redis: RedisServerHandle;
  let nats: NatsServerHandle;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    [redis, nats] = await Promise.all([startRedisServer(), startNatsServer({ jetstream: false })]);
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await Promise.all([redis?.stop(), nats?.stop()]);
  });

  const connect = async (name: string, clock: FakeClock, keyPrefix = 'int:', rejected?: RejectedValue[]) => {
    const leases = await RedisLeaseStore.connect({
      url: redis.url,
      keyPrefix,
      clock,
      ...(rejected ? { rejections: { rejected: (v) => rejected.push(v), settled: () => undefined } } : {}),
    });
    const bus = await NatsBus.connect({ servers: nats.url, name });
    closers.push(
      () => leases.close(),
      () => bus.close(),
    );
    return { leases, bus };
  };

  it('requests each due rotation once across schedulers and cleans up after gone dataplanes', async () => {
    // Redis expires leases by its own clock, so the test clock is the real time.
    const clock = new FakeClock(new Date());
    const { notAfter } = dueWindow(clock);
    const lease = (i: number, holder: string): Lease =>
      dueLease(clock, `dp-${i}`, `serial-${i}`, holder, `session-${i}`);

    const meshApi = await connect('mesh-api', clock);
    const requested = new Map<string, number>();
    for (const holder of ['cp-a@1', 'cp-b@1']) {
      meshApi.bus.serve(
        addressedTo(rotateDataplane, holder),
        async (request) => {
          requested.set(request.dataplane, (requested.get(request.dataplane) ?? 0) + 1);
          if (request.dataplane === 'dp-0') return { status: 'not-connected' as const };
          const i = Number(request.dataplane.slice(3));
          // Rotated as the hub does: a new certificate, so a new lease that is not due.
          await meshApi.leases.put({
            ...lease(i, holder),
            serial: `rotated-${i}`,
            rotateAt: notAfter.toISOString(),
          });
          return { status: 'rotated' as const };
        },
        { queue: holder },
      );
    }
    await meshApi.bus.nc.flush();
    for (let i = 0; i < FLEET; i++) await meshApi.leases.put(lease(i, i % 2 ? 'cp-a@1' : 'cp-b@1'));
    await meshApi.leases.put(lease(FLEET, 'cp-gone@1'));

    const schedulers = await Promise.all(
      ['scheduler-1', 'scheduler-2'].map(async (id) => {
        const { leases, bus } = await connect(id, clock);
        return new RotationScheduler({ leases, bus, clock, schedulerId: id, batchSize: 100, concurrency: 8 });
      }),
    );
    const reports: RotationTickReport[] = [];
    for (let round = 0; round < 3; round++) {
      reports.push(...(await Promise.all(schedulers.map((s) => s.tick()))));
    }

    const sum = (key: 'claimed' | 'rotated' | 'notConnected' | 'unreachable') =>
      reports.reduce((n, r) => n + r[key], 0);
    expect(requested.size).toBe(FLEET);
    expect([...requested.values()].every((n) => n === 1)).toBe(true);
    expect(sum('rotated')).toBe(FLEET - 1);
    expect(sum('notConnected')).toBe(1);
    // Tried once; then postponed (and claimed) for 15 s in the later rounds.
    expect(sum('unreachable')).toBe(1);
    expect(sum('claimed')).toBe(FLEET + 1);
    expect(await meshApi.leases.get('default', 'dp-0')).toBeUndefined();
    expect((await meshApi.leases.get('default', 'dp-1'))?.serial).toBe('rotated-1');
    // The unreachable holder's lease stays, out of the due list until its retry time.
    expect(await meshApi.leases.get('default', `dp-${FLEET}`)).toBeDefined();
    expect(await meshApi.leases.listDue(clock.now(), 10)).toEqual([]);
    const retry = new Date(clock.now().getTime() + 15_001);
    expect((await meshApi.leases.listDue(retry, 10)).map((l) => l.dataplane)).toEqual([`dp-${FLEET}`]);
  });

  it('goes on rotating the other leases past one that is not a lease', async () => {
    const clock = new FakeClock(new Date());
    const { notBefore } = dueWindow(clock);
    const meshApi = await connect('mesh-api-poisoned', clock, 'poisoned:');
    const rotated: string[] = [];
    meshApi.bus.serve(
      addressedTo(rotateDataplane, 'cp-p@1'),
      async (request) => {
        rotated.push(request.dataplane);
        return { status: 'rotated' as const };
      },
      { queue: 'cp-p@1' },
    );
    await meshApi.bus.nc.flush();
    for (const name of ['dp-a', 'dp-b', 'dp-c']) {
      await meshApi.leases.put(dueLease(clock, name, `serial-${name}`, 'cp-p@1', 's'));
    }
    // First in the due set, as a client with the Redis password could write it.
    const raw = meshApi.leases['client'];
    await raw.set('poisoned:lease:default:dp-0', 'not-json{');
    await raw.zAdd('poisoned:due', { score: notBefore.getTime(), value: 'default:dp-0' });

    const rejected: RejectedValue[] = [];
    const { leases, bus } = await connect('scheduler-poisoned', clock, 'poisoned:', rejected);
    const scheduler = new RotationScheduler({ leases, bus, clock, schedulerId: 'scheduler-p' });
    expect(await scheduler.tick()).toMatchObject({ due: 3, rotated: 3 });
    // The next pass does not meet it again (and the rotated ones are claimed).
    expect(await scheduler.tick()).toMatchObject({ due: 3, claimed: 0 });
    expect(rotated.sort()).toEqual(['dp-a', 'dp-b', 'dp-c']);
    expect(rejected).toEqual([
      { source: 'redis', key: 'poisoned:lease:default:dp-0', type: 'lease', reason: 'value is not JSON' },
    ]);
    expect(await raw.zRange('poisoned:due', 0, -1)).not.toContain('default:dp-0');
  });
});
