import { createHistogram } from 'node:perf_hooks';
import { EventLoopDelay, delayWindow } from './event-loop-delay';

const MS = 1e6; // histogram values are nanoseconds

describe('delayWindow', () => {
  it('reports what exceeds the sampling interval, in seconds', () => {
    const histogram = createHistogram();
    // A 5 ms timer: 98 turns 0.2 ms late, one 3 ms late, one 40 ms late.
    for (let i = 0; i < 98; i++) histogram.record(5.2 * MS);
    histogram.record(8 * MS);
    histogram.record(45 * MS);
    const window = delayWindow(histogram, 5);
    expect(window.samples).toBe(100);
    // HDR histograms keep 3 significant digits.
    expect(window.p50).toBeCloseTo(0.0002, 5);
    expect(window.p90).toBeCloseTo(0.0002, 5);
    expect(window.p99).toBeCloseTo(0.003, 4);
    expect(window.max).toBeCloseTo(0.04, 4);
  });

  it('is all zeros without a sample, and never negative', () => {
    expect(delayWindow(createHistogram(), 5)).toEqual({ samples: 0, p50: 0, p90: 0, p99: 0, max: 0 });
    const early = createHistogram();
    early.record(4.9 * MS);
    expect(delayWindow(early, 5)).toEqual({ samples: 1, p50: 0, p90: 0, p99: 0, max: 0 });
  });
});

describe('EventLoopDelay', () => {
  it('sees the loop blocked, in the window that saw it only', async () => {
    const loopDelay = new EventLoopDelay(5);
    try {
      const turn = () => new Promise((resolve) => setTimeout(resolve, 20));
      await turn();
      const blockedUntil = Date.now() + 60;
      while (Date.now() < blockedUntil); // the loop runs nothing for 60 ms
      await turn();
      await turn();
      const blocked = loopDelay.takeWindow();
      expect(blocked.samples).toBeGreaterThan(0);
      // At least the 60 ms blocked minus one sampling interval (a loaded machine only adds to it).
      expect(blocked.max).toBeGreaterThanOrEqual(0.05);
      // The next window starts empty: the block is not reported twice.
      const next = loopDelay.takeWindow();
      expect(next.max).toBeLessThan(blocked.max);
    } finally {
      loopDelay.stop();
    }
  });
});
