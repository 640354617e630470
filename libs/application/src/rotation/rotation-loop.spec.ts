import { RotationLoop, type LoopTimers, type Tickable } from './rotation-loop';
import { RotationOptionsError, type RotationTickReport } from './rotation-scheduler';
import { tickReport } from './rotation-tick-report.test-support';

/** Timers moved by hand: `pending` is what is scheduled, `fire()` runs the earliest. */
class ManualTimers implements LoopTimers {
  pending: { fn: () => void; ms: number; id: number }[] = [];
  private ids = 0;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.pending.push({ fn, ms, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((t) => t.id !== handle);
  }

  fire(): void {
    const next = this.pending.shift();
    if (!next) throw new Error('nothing scheduled');
    next.fn();
  }
}

/** A scheduler whose ticks finish when the test says so. */
class ControlledScheduler implements Tickable {
  readonly batchSize = 10;
  ticks = 0;
  private finish?: { resolve: (r: RotationTickReport) => void; reject: (e: Error) => void };

  tick(): Promise<RotationTickReport> {
    if (this.finish) throw new Error('overlapping ticks');
    this.ticks++;
    return new Promise((resolve, reject) => (this.finish = { resolve, reject }));
  }

  async end(report: Partial<RotationTickReport> | Error): Promise<void> {
    const finish = this.finish!;
    this.finish = undefined;
    if (report instanceof Error) finish.reject(report);
    else finish.resolve(tickReport(report));
    await settle();
  }
}

const settle = () => new Promise((r) => setImmediate(r));

describe('RotationLoop', () => {
  let timers: ManualTimers;
  let scheduler: ControlledScheduler;
  let reports: RotationTickReport[];
  let errors: unknown[];
  let loop: RotationLoop;

  beforeEach(() => {
    timers = new ManualTimers();
    scheduler = new ControlledScheduler();
    reports = [];
    errors = [];
    loop = new RotationLoop(scheduler, {
      intervalMs: 1000,
      timers,
      onTick: (r) => reports.push(r),
      onError: (e) => errors.push(e),
    });
  });

  it('ticks at once, then one interval after each tick has finished', async () => {
    loop.start();
    expect(timers.pending.map((t) => t.ms)).toEqual([0]);
    timers.fire();
    expect(scheduler.ticks).toBe(1);
    // While the tick runs nothing else is scheduled, however long it takes.
    expect(timers.pending).toEqual([]);
    await scheduler.end({ due: 3, claimed: 3, rotated: 3 });
    expect(reports).toHaveLength(1);
    expect(timers.pending.map((t) => t.ms)).toEqual([1000]);
  });

  it('runs again at once after a full batch it could claim from, to drain a backlog', async () => {
    loop.start();
    timers.fire();
    await scheduler.end({ due: 10, claimed: 4 });
    expect(timers.pending.map((t) => t.ms)).toEqual([0]);
    timers.fire();
    // Full, but all held by other schedulers: re-reading it at once would only spin.
    await scheduler.end({ due: 10, claimed: 0 });
    expect(timers.pending.map((t) => t.ms)).toEqual([1000]);
  });

  it('goes on after a tick that failed', async () => {
    loop.start();
    timers.fire();
    await scheduler.end(new Error('redis unavailable'));
    expect(errors).toEqual([new Error('redis unavailable')]);
    expect(timers.pending.map((t) => t.ms)).toEqual([1000]);
    timers.fire();
    expect(scheduler.ticks).toBe(2);
  });

  it('stops after the running tick, which it waits for', async () => {
    loop.start();
    timers.fire();
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    await scheduler.end({ due: 10, claimed: 10 });
    await stopping;
    expect(timers.pending).toEqual([]);
  });

  it('cancels the next tick when stopped between ticks, and starts once', async () => {
    loop.start();
    loop.start();
    expect(timers.pending).toHaveLength(1);
    await loop.stop();
    expect(timers.pending).toEqual([]);
    expect(scheduler.ticks).toBe(0);
  });

  it('refuses a negative interval', () => {
    expect(() => new RotationLoop(scheduler, { intervalMs: -1 })).toThrow(RotationOptionsError);
  });
});
