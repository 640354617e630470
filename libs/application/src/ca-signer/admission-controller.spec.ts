import {
  AdmissionController,
  AdmissionOptionsError,
  IssuePriority,
  type AdmissionOptions,
} from './admission-controller';
import type { Timers } from '../shared/timers';

/** Timers moved by hand: `advance` runs every timer that falls due, in order. */
class ManualTimers implements Timers {
  private current = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.current + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.current = next.at;
      next.fn();
      await flush();
    }
    this.current = end;
    await flush();
  }

  /** A promise that settles once time has moved `ms` further. */
  advanceLater(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

const options = (o: Partial<AdmissionOptions> = {}): AdmissionOptions => ({
  maxConcurrent: 4,
  ratePerSecond: 100,
  burst: 10,
  maxQueue: 50,
  maxWaitMs: 10_000,
  ...o,
});

/** A task that finishes when told. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { open, done };
}

describe('AdmissionController', () => {
  it('never runs more tasks at once than maxConcurrent', async () => {
    const timers = new ManualTimers();
    const admission = new AdmissionController(
      options({ maxConcurrent: 4, ratePerSecond: 1e6, burst: 1e6, maxQueue: 2000 }),
      timers,
    );
    let running = 0;
    let peak = 0;
    const gates: ReturnType<typeof gate>[] = [];
    const results = Array.from({ length: 1000 }, () =>
      admission.run(IssuePriority.First, async () => {
        running++;
        peak = Math.max(peak, running);
        const g = gate();
        gates.push(g);
        await g.done;
        running--;
      }),
    );
    while (gates.length < 1000) {
      gates.filter((g) => g).forEach((g) => g.open());
      await flush();
    }
    gates.forEach((g) => g.open());
    const outcomes = await Promise.all(results);
    expect(peak).toBe(4);
    expect(outcomes.every((o) => o.admitted)).toBe(true);
  });

  it('admits no faster than the rate, after the burst', async () => {
    const timers = new ManualTimers();
    const admission = new AdmissionController(
      options({ maxConcurrent: 1000, ratePerSecond: 100, burst: 10, maxQueue: 5000, maxWaitMs: 60_000 }),
      timers,
    );
    let started = 0;
    const all = Array.from({ length: 2000 }, () =>
      admission.run(IssuePriority.Renewal, async () => void started++),
    );
    await flush();
    expect(started).toBe(10);
    await timers.advance(10_000);
    expect(started).toBeGreaterThanOrEqual(1009);
    expect(started).toBeLessThanOrEqual(1010);
    admission.close();
    await Promise.all(all);
  });

  it('serves queued first certificates before queued renewals, FIFO within a lane', async () => {
    const timers = new ManualTimers();
    const admission = new AdmissionController(options({ maxConcurrent: 1, burst: 100 }), timers);
    const order: string[] = [];
    const blocker = gate();
    const first = admission.run(IssuePriority.Renewal, () => blocker.done);
    const runs = [
      admission.run(IssuePriority.Renewal, async () => void order.push('r1')),
      admission.run(IssuePriority.First, async () => void order.push('f1')),
      admission.run(IssuePriority.Renewal, async () => void order.push('r2')),
      admission.run(IssuePriority.First, async () => void order.push('f2')),
    ];
    blocker.open();
    await Promise.all([first, ...runs]);
    expect(order).toEqual(['f1', 'f2', 'r1', 'r2']);
  });

  it('lets a first certificate take the place of the newest renewal when the queue is full', async () => {
    const timers = new ManualTimers();
    const admission = new AdmissionController(options({ maxConcurrent: 1, maxQueue: 2 }), timers);
    const blocker = gate();
    const running = admission.run(IssuePriority.Renewal, () => blocker.done);
    const r1 = admission.run(IssuePriority.Renewal, async () => 'r1');
    const r2 = admission.run(IssuePriority.Renewal, async () => 'r2');
    const r3 = admission.run(IssuePriority.Renewal, async () => 'r3');
    const f1 = admission.run(IssuePriority.First, async () => 'f1');
    const shedR3 = await r3;
    expect(shedR3).toMatchObject({ admitted: false, reason: 'overloaded: queue full' });
    expect((shedR3 as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    const shedR2 = await r2;
    expect(shedR2).toMatchObject({
      admitted: false,
      reason: 'overloaded: a first certificate took its place',
    });
    blocker.open();
    expect(await f1).toEqual({ admitted: true, value: 'f1' });
    expect(await r1).toEqual({ admitted: true, value: 'r1' });
    await running;
    expect(admission.stats()).toMatchObject({ shed: 2, admitted: 3 });
  });

  it('sheds at once, with the expected wait, when the wait would exceed maxWaitMs', async () => {
    const timers = new ManualTimers();
    const admission = new AdmissionController(
      options({ ratePerSecond: 10, burst: 1, maxWaitMs: 1000, maxConcurrent: 100 }),
      timers,
    );
    const results = await Promise.race([
      Promise.all(Array.from({ length: 13 }, () => admission.run(IssuePriority.First, async () => 'ok'))),
      timers.advance(5000).then(() => 'timeout'),
    ]);
    const outcomes = results as { admitted: boolean; retryAfterMs?: number }[];
    const shed = outcomes.filter((o) => !o.admitted);
    expect(shed.length).toBeGreaterThan(0);
    expect(shed.every((o) => (o.retryAfterMs ?? 0) > 1000)).toBe(true);
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(11);
  });

  it('releases the slot of a task that throws and hands the error to its caller', async () => {
    const admission = new AdmissionController(options({ maxConcurrent: 1 }), new ManualTimers());
    await expect(
      admission.run(IssuePriority.First, async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(await admission.run(IssuePriority.First, async () => 'next')).toEqual({
      admitted: true,
      value: 'next',
    });
  });

  it('releases the slot of a task that throws synchronously', async () => {
    const admission = new AdmissionController(options({ maxConcurrent: 1 }), new ManualTimers());
    await expect(
      admission.run(IssuePriority.First, () => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    expect(admission.stats().inFlight).toBe(0);
    expect(await admission.run(IssuePriority.First, async () => 'next')).toEqual({
      admitted: true,
      value: 'next',
    });
  });

  it('sheds when every slot stays busy longer than maxWaitMs, even with tokens to spare', async () => {
    const timers = new ManualTimers();
    const admission = new AdmissionController(
      options({ maxConcurrent: 1, ratePerSecond: 1e6, burst: 1000, maxWaitMs: 1000 }),
      timers,
    );
    // Teach the controller that a task takes about 2 s.
    for (let i = 0; i < 30; i++) {
      const slow = admission.run(IssuePriority.First, () => timers.advanceLater(2000));
      await flush();
      await timers.advance(2000);
      await slow;
    }
    const blocker = gate();
    const running = admission.run(IssuePriority.First, () => blocker.done);
    const waiting = await admission.run(IssuePriority.First, async () => 'late');
    expect(waiting).toMatchObject({ admitted: false, reason: 'overloaded: the wait would exceed its limit' });
    expect((waiting as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(1000);
    blocker.open();
    await running;
  });

  it('sheds everything waiting when closed', async () => {
    const admission = new AdmissionController(options({ maxConcurrent: 1 }), new ManualTimers());
    const blocker = gate();
    const running = admission.run(IssuePriority.First, () => blocker.done);
    const waiting = admission.run(IssuePriority.Renewal, async () => 'never');
    admission.close();
    expect(await waiting).toMatchObject({ admitted: false, reason: 'closing' });
    expect(await admission.run(IssuePriority.First, async () => 'after')).toMatchObject({
      admitted: false,
      reason: 'closing',
    });
    blocker.open();
    await running;
  });

  it('refuses options that make no sense', () => {
    expect(() => new AdmissionController(options({ burst: 0.5 }))).toThrow(AdmissionOptionsError);
    expect(() => new AdmissionController(options({ maxConcurrent: 2.5 }))).toThrow(
      'admission option maxConcurrent must be a whole number, got 2.5',
    );
    expect(() => new AdmissionController(options({ ratePerSecond: 0 }))).toThrow(AdmissionOptionsError);
    expect(() => new AdmissionController(options({ maxQueue: -1 }))).toThrow(
      'admission option maxQueue must be a positive number, got -1',
    );
  });
});
