import type { Timers } from '../shared/timers';
import { RotationOptionsError, type RotationTickReport } from './rotation-scheduler';

/** The timers the loop needs; tests pass manual ones and move time by hand. */
export type LoopTimers = Pick<Timers, 'setTimeout' | 'clearTimeout'>;

const realTimers: LoopTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What the loop drives: a {@link RotationScheduler}, or anything with the same tick. */
export interface Tickable {
  readonly batchSize: number;
  tick(): Promise<RotationTickReport>;
}

export interface RotationLoopOptions {
  /** Pause between ticks, counted from the end of one to the start of the next. */
  readonly intervalMs: number;
  readonly onTick?: (report: RotationTickReport) => void;
  /** A tick that rejected (the due leases could not be read); the loop goes on after the interval. */
  readonly onError?: (error: unknown) => void;
  readonly timers?: LoopTimers;
}

/**
 * Runs ticks one after the other, never two at once: the next is scheduled when the previous has
 * finished. A tick that read a full batch and claimed some of it runs again at once, so a backlog (after
 * an outage, or a fleet issued at the same moment) drains at the speed of the holders, not one batch per
 * interval. A full batch of which nothing could be claimed (other schedulers hold it) waits the interval,
 * so it is not re-read in a busy loop.
 */
export class RotationLoop {
  private readonly timers: LoopTimers;
  private timer: unknown;
  private running?: Promise<void>;
  private active = false;

  constructor(
    private readonly scheduler: Tickable,
    private readonly options: RotationLoopOptions,
  ) {
    if (!(Number.isFinite(options.intervalMs) && options.intervalMs >= 0)) {
      throw new RotationOptionsError(`intervalMs must be a finite number >= 0, got ${options.intervalMs}`);
    }
    this.timers = options.timers ?? realTimers;
  }

  /** Starts ticking, the first tick at once. Does nothing if already started. */
  start(): void {
    if (this.active) return;
    this.active = true;
    if (this.running === undefined) this.schedule(0);
  }

  /** Stops ticking; resolves once the tick in progress, if any, has finished. */
  async stop(): Promise<void> {
    this.active = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
  }

  private async runOnce(): Promise<void> {
    let again = false;
    try {
      const report = await this.scheduler.tick();
      again = report.due >= this.scheduler.batchSize && report.claimed > 0;
      this.options.onTick?.(report);
    } catch (error) {
      this.options.onError?.(error);
    }
    if (this.active) this.schedule(again ? 0 : this.options.intervalMs);
  }
}
