import { addressedTo, rotateDataplane, type RequestOf, type ReplyOf } from '@meshtls/contracts';
import { rotateAtOf } from '@meshtls/domain';
import { InProcessBus, type Subscription } from '@meshtls/bus';
import type { Lease, LeaseStore } from '@meshtls/store';
import { MemoryLeaseStore } from '@meshtls/store/adapters';
import { FakeClock, MeshError } from '@meshtls/util';
import { RotationOptionsError, RotationScheduler, type RotationSchedulerOptions } from './rotation-scheduler';
import { tickReport } from './rotation-tick-report.test-support';

type RotateRequest = RequestOf<typeof rotateDataplane>;
type RotateReply = ReplyOf<typeof rotateDataplane>;

const DAY = 24 * 3600_000;
const CLAIM_TTL = 15_000;

class BrokenStoreError extends MeshError {
  readonly code = 'test.broken';
}

describe('RotationScheduler', () => {
  let clock: FakeClock;
  let leases: MemoryLeaseStore;
  let bus: InProcessBus;
  let subscriptions: Subscription[];

  beforeEach(() => {
    clock = new FakeClock('2026-06-01T00:00:00Z');
    leases = new MemoryLeaseStore(clock);
    bus = new InProcessBus();
    subscriptions = [];
  });

  afterEach(async () => {
    for (const s of subscriptions) await s.unsubscribe();
    await bus.close();
  });

  /** A lease issued now, valid `validityMs`, rotating at 4/5 of it as the hub computes it. */
  const leaseOf = (dataplane: string, extra: Partial<Lease> & { validityMs?: number } = {}): Lease => {
    const { validityMs = DAY, ...rest } = extra;
    const notBefore = clock.now();
    const notAfter = new Date(notBefore.getTime() + validityMs);
    return {
      mesh: 'default',
      dataplane,
      serial: 'aa01',
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      rotateAt: rotateAtOf(notBefore, notAfter).toISOString(),
      backend: 'ca-1',
      supportedBackends: ['ca-1'],
      controlPlaneInstance: 'cp-a',
      session: 's-1',
      ...rest,
    };
  };

  /**
   * A mesh-api replica serving rotations addressed to `instance`. By default it rotates as the real one
   * does: a new serial and a new lease, which is no longer due.
   */
  const holder = (
    instance: string,
    answer: (request: RotateRequest) => Promise<RotateReply> = async (request) => {
      await leases.put(
        leaseOf(request.dataplane, { serial: `${request.serial}-r`, controlPlaneInstance: instance }),
      );
      return { status: 'rotated' };
    },
  ) => {
    const received: RotateRequest[] = [];
    subscriptions.push(
      bus.serve(
        addressedTo(rotateDataplane, instance),
        (request) => {
          received.push(request);
          return answer(request);
        },
        { queue: instance },
      ),
    );
    return received;
  };

  /** Puts `dataplane`'s lease (as `leaseOf` makes it) and moves the clock to its rotation time. */
  const putDueLease = async (dataplane: string, extra: Partial<Lease> = {}) => {
    await leases.put(leaseOf(dataplane, extra));
    clock.advance(0.8 * DAY);
  };

  const scheduler = (options: Partial<RotationSchedulerOptions> = {}) =>
    new RotationScheduler({ leases, bus, clock, schedulerId: 'scheduler-1', ...options });

  it('sends nothing while no lease is due', async () => {
    const received = holder('cp-a');
    await leases.put(leaseOf('dp-1'));
    clock.advance(0.8 * DAY - 1);
    const report = await scheduler().tick();
    expect(report).toMatchObject({ due: 0, claimed: 0, rotated: 0, failed: 0 });
    expect(received).toEqual([]);
  });

  it('asks exactly the replica holding the dataplane, for the serial due', async () => {
    const atA = holder('cp-a');
    const atB = holder('cp-b');
    await putDueLease('dp-1', { serial: 'aa01', controlPlaneInstance: 'cp-a' });
    const report = await scheduler().tick();
    expect(atA).toEqual([{ mesh: 'default', dataplane: 'dp-1', serial: 'aa01', reason: 'rotation' }]);
    expect(atB).toEqual([]);
    expect(report).toEqual(tickReport({ due: 1, claimed: 1, rotated: 1, durationMs: expect.any(Number) }));
  });

  it('rotates a lease overdue for most of its remaining validity at once, and says how late', async () => {
    const received = holder('cp-a');
    await leases.put(leaseOf('dp-1', { validityMs: 30_000 }));
    // No scheduler ran from 24 s (its rotation time) to 29.5 s.
    clock.advance(29_500);
    expect(await scheduler().tick()).toMatchObject({ due: 1, rotated: 1, latestMs: 5_500, expired: 0 });
    expect(received).toHaveLength(1);
    expect((await leases.get('default', 'dp-1'))!.serial).toBe('aa01-r');
  });

  it('still asks for a lease whose certificate expired between being read as due and its request', async () => {
    // One request at a time, and the first holder slow enough for the second certificate to expire.
    holder('cp-slow', async (request) => {
      clock.advance(10_000);
      await leases.put(leaseOf(request.dataplane, { serial: 'ss01-r', controlPlaneInstance: 'cp-slow' }));
      return { status: 'rotated' };
    });
    const received = holder('cp-a');
    await leases.put(
      leaseOf('dp-1', { validityMs: 30_000, controlPlaneInstance: 'cp-slow', serial: 'ss01' }),
    );
    clock.advance(1);
    await leases.put(leaseOf('dp-2', { validityMs: 30_000 }));
    clock.advance(28_000);
    expect(await scheduler({ concurrency: 1 }).tick()).toMatchObject({
      due: 2,
      claimed: 2,
      rotated: 2,
      expired: 1,
      latestMs: 28_001 + 10_000 - 24_001,
    });
    expect(received.map((r) => r.dataplane)).toEqual(['dp-2']);
  });

  it('leaves a lease that expired before any pass read it to the replica holding the stream', async () => {
    const received = holder('cp-a');
    await leases.put(leaseOf('dp-1', { validityMs: 30_000 }));
    clock.advance(30_000);
    // The store expires a lease with its certificate: the holder's lease check re-issues it.
    expect(await scheduler().tick()).toMatchObject({ due: 0, claimed: 0 });
    expect(received).toEqual([]);
  });

  it('rotates a 30 s certificate at 24 s', async () => {
    const received = holder('cp-a');
    await leases.put(leaseOf('dp-1', { validityMs: 30_000 }));
    clock.advance(23_999);
    expect((await scheduler().tick()).due).toBe(0);
    clock.advance(1);
    expect(await scheduler().tick()).toMatchObject({ due: 1, rotated: 1 });
    expect(received).toHaveLength(1);
  });

  it('reads at most a batch, earliest first', async () => {
    const received = holder('cp-a');
    for (const [i, name] of ['dp-3', 'dp-1', 'dp-2'].entries()) {
      clock.advance(1000);
      await leases.put(leaseOf(name, { controlPlaneInstance: 'cp-a', serial: `s${i}` }));
    }
    clock.advance(0.8 * DAY);
    expect(await scheduler({ batchSize: 2 }).tick()).toMatchObject({ due: 2, rotated: 2 });
    expect(received.map((r) => r.dataplane)).toEqual(['dp-3', 'dp-1']);
  });

  it('requests each due rotation once when two schedulers share the lease store', async () => {
    const atA = holder('cp-a');
    const atB = holder('cp-b');
    for (let i = 0; i < 40; i++)
      await leases.put(leaseOf(`dp-${i}`, { controlPlaneInstance: i % 2 ? 'cp-a' : 'cp-b' }));
    clock.advance(0.8 * DAY);
    const one = scheduler({ schedulerId: 'scheduler-1', concurrency: 4 });
    const two = scheduler({ schedulerId: 'scheduler-2', concurrency: 4 });
    const reports = await Promise.all([one.tick(), two.tick(), one.tick(), two.tick()]);
    const requested = [...atA, ...atB].map((r) => r.dataplane).sort();
    expect(requested).toEqual(Array.from({ length: 40 }, (_, i) => `dp-${i}`).sort());
    expect(reports.reduce((n, r) => n + r.claimed, 0)).toBe(40);
    expect(reports.reduce((n, r) => n + r.rotated, 0)).toBe(40);
  });

  it.each([
    ['deletes the lease of a dataplane its holder no longer has', 'not-connected', 'notConnected', false],
    ['counts a stale rotation and leaves the lease to its holder', 'stale', 'stale', true],
  ] as const)('%s', async (_name, status, counted, leaseKept) => {
    holder('cp-a', async () => ({ status }));
    await putDueLease('dp-1');
    expect(await scheduler().tick()).toMatchObject({ claimed: 1, [counted]: 1 });
    expect((await leases.get('default', 'dp-1')) !== undefined).toBe(leaseKept);
  });

  it('keeps the lease of a dataplane that reconnected elsewhere meanwhile', async () => {
    holder('cp-a', async (request) => {
      // The dataplane got a new certificate from cp-b just before cp-a answered.
      await leases.put(leaseOf(request.dataplane, { serial: 'bb02', controlPlaneInstance: 'cp-b' }));
      return { status: 'not-connected' };
    });
    await putDueLease('dp-1');
    expect(await scheduler().tick()).toMatchObject({ notConnected: 1 });
    expect(await leases.get('default', 'dp-1')).toMatchObject({
      serial: 'bb02',
      controlPlaneInstance: 'cp-b',
    });
  });

  it('retries an unreachable holder once the claim has expired', async () => {
    await putDueLease('dp-1', { controlPlaneInstance: 'cp-restarting' });
    const rotation = scheduler({ claimTtlMs: CLAIM_TTL });
    expect(await rotation.tick()).toMatchObject({ due: 1, claimed: 1, unreachable: 1 });
    const received = holder('cp-restarting');
    clock.advance(CLAIM_TTL - 1);
    // Postponed meanwhile: not even listed as due, so it takes no place in a batch.
    expect(await rotation.tick()).toMatchObject({ due: 0, claimed: 0 });
    expect(received).toEqual([]);
    clock.advance(1);
    expect(await rotation.tick()).toMatchObject({ due: 1, claimed: 1, rotated: 1 });
    expect(received).toHaveLength(1);
  });

  it('does not let unreachable leases crowd live ones out of the batch', async () => {
    const received = holder('cp-a');
    await leases.put(leaseOf('dp-gone', { controlPlaneInstance: 'cp-restarted-away', serial: 's0' }));
    clock.advance(1000);
    await leases.put(leaseOf('dp-live', { controlPlaneInstance: 'cp-a', serial: 's1' }));
    clock.advance(0.8 * DAY);
    const rotation = scheduler({ batchSize: 1, claimTtlMs: CLAIM_TTL });
    expect(await rotation.tick()).toMatchObject({ due: 1, unreachable: 1 });
    expect(await rotation.tick()).toMatchObject({ due: 1, rotated: 1 });
    expect(received.map((r) => r.dataplane)).toEqual(['dp-live']);
  });

  it('gives up on a holder slower than the claim', async () => {
    holder('cp-a', () => new Promise<never>(() => undefined));
    await putDueLease('dp-1');
    expect(await scheduler({ claimTtlMs: 50 }).tick()).toMatchObject({ claimed: 1, unreachable: 1 });
  });

  it('counts failures and retries them once the claim has expired', async () => {
    let answer: RotateReply = { status: 'failed', detail: 'ca-signer shed the request' };
    const received = holder('cp-a', async () => answer);
    await putDueLease('dp-1');
    const log = jest.fn();
    const rotation = scheduler({ log });
    expect(await rotation.tick()).toMatchObject({ claimed: 1, failed: 1 });
    expect(log).toHaveBeenCalledWith('debug', expect.stringContaining('ca-signer shed the request'));
    expect(await leases.get('default', 'dp-1')).toBeDefined();
    answer = { status: 'rotated' };
    clock.advance(CLAIM_TTL);
    expect(await rotation.tick()).toMatchObject({ claimed: 1, rotated: 1 });
    expect(received).toHaveLength(2);
  });

  it('asks again a rotation the holder refused, after the claim, or later when the holder says so', async () => {
    let answer: RotateReply = { status: 'not-due' };
    const received = holder('cp-a', async () => answer);
    await putDueLease('dp-1');
    const rotation = scheduler({ claimTtlMs: CLAIM_TTL });
    expect(await rotation.tick()).toMatchObject({ claimed: 1, refused: 1, failed: 0 });
    clock.advance(CLAIM_TTL - 1);
    expect(await rotation.tick()).toMatchObject({ due: 0 });
    clock.advance(1);
    answer = { status: 'rate-limited', retryAfterMs: 4 * CLAIM_TTL };
    expect(await rotation.tick()).toMatchObject({ claimed: 1, refused: 1 });
    clock.advance(4 * CLAIM_TTL - 1);
    expect(await rotation.tick()).toMatchObject({ due: 0 });
    clock.advance(1);
    answer = { status: 'rotated' };
    expect(await rotation.tick()).toMatchObject({ claimed: 1, rotated: 1 });
    expect(received).toHaveLength(3);
    expect(await leases.get('default', 'dp-1')).toBeDefined();
  });

  it('counts an error of the holder or of the store as a failure and goes on', async () => {
    holder('cp-a', async (request) => {
      if (request.dataplane === 'dp-1') throw new BrokenStoreError('holder broke');
      return { status: 'rotated' };
    });
    await leases.put(leaseOf('dp-1'));
    await leases.put(leaseOf('dp-2'));
    await leases.put(leaseOf('dp-3'));
    clock.advance(0.8 * DAY);
    const flaky: LeaseStore = Object.create(leases, {
      claim: {
        value: (mesh: string, dataplane: string, ...rest: [string, string, number]) =>
          dataplane === 'dp-3'
            ? Promise.reject(new BrokenStoreError('redis went away'))
            : leases.claim(mesh, dataplane, ...rest),
      },
    });
    const log = jest.fn();
    const report = await scheduler({ leases: flaky, log }).tick();
    expect(report).toMatchObject({ due: 3, claimed: 2, rotated: 1, failed: 2 });
    expect(log).toHaveBeenCalledWith('warn', expect.stringContaining('holder broke'));
    expect(log).toHaveBeenCalledWith('warn', expect.stringContaining('redis went away'));
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    holder('cp-a', async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { status: 'rotated' };
    });
    for (let i = 0; i < 12; i++) await leases.put(leaseOf(`dp-${i}`));
    clock.advance(0.8 * DAY);
    expect(await scheduler({ concurrency: 3 }).tick()).toMatchObject({ due: 12, rotated: 12 });
    expect(most).toBe(3);
  });

  it('refuses options that cannot work', () => {
    expect(() => scheduler({ batchSize: 0 })).toThrow(RotationOptionsError);
    expect(() => scheduler({ concurrency: 1.5 })).toThrow(/concurrency/);
    expect(() => scheduler({ claimTtlMs: -1 })).toThrow(/claimTtlMs/);
    expect(() => scheduler({ schedulerId: '' })).toThrow(/schedulerId/);
  });
});
