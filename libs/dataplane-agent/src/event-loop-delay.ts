import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * How late the event loop ran a timer, over one window (seconds): what every connection of the sidecar
 * waited on top of its own work, in the worst case once per loop turn.
 */
export interface EventLoopDelayWindow {
  /** Timer turns sampled in the window (0: no sample, every figure is 0). */
  readonly samples: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** What `delayWindow` reads of a histogram: `perf_hooks` histograms have it. */
export interface DelayHistogram {
  readonly count: number;
  readonly max: number;
  percentile(percentile: number): number;
}

/**
 * The delays of a `monitorEventLoopDelay` histogram, in seconds. It records the time between two runs
 * of a timer due every `resolutionMs` (so never less than that): the delay is what exceeds it.
 */
export function delayWindow(histogram: DelayHistogram, resolutionMs: number): EventLoopDelayWindow {
  if (histogram.count === 0) return { samples: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const delay = (ns: number) => Math.max(0, ns / 1e9 - resolutionMs / 1e3);
  return {
    samples: histogram.count,
    p50: delay(histogram.percentile(50)),
    p90: delay(histogram.percentile(90)),
    p99: delay(histogram.percentile(99)),
    max: delay(histogram.max),
  };
}

/**
 * Samples the event-loop delay of this process (a native timer every `resolutionMs`, so sampling costs
 * no JavaScript on the loop) and hands it out window by window: each `takeWindow()` returns the delays
 * since the previous one and starts the next window.
 */
export class EventLoopDelay {
  private readonly histogram: IntervalHistogram;

  constructor(readonly resolutionMs = 5) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  /** The delays since the previous call (since the start for the first), then a new window. */
  takeWindow(): EventLoopDelayWindow {
    const window = delayWindow(this.histogram, this.resolutionMs);
    this.histogram.reset();
    return window;
  }

  stop(): void {
    this.histogram.disable();
  }
}
