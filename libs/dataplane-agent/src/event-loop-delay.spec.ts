import { createHistogram } from 'node:perf_hooks';
import { eventually } from '@meshtls/testing';
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
  // How late a timer runs depends on the machine's load; only what does not is checked on a live loop
  // (the arithmetic on the delays is checked above, on a histogram made for it).
  it('hands out the delays window by window, each starting empty', async () => {
    const loopDelay = new EventLoopDelay(5);
    try {
      const first = await eventually(() => {
        const window = loopDelay.takeWindow();
        if (window.samples === 0) throw new Error('no timer turn sampled yet');
        return window;
      });
      expect(first.max).toBeGreaterThanOrEqual(first.p50);
      // Taken again in the same turn: no timer ran since, so the new window holds nothing.
      expect(loopDelay.takeWindow()).toEqual({ samples: 0, p50: 0, p90: 0, p99: 0, max: 0 });
    } finally {
      loopDelay.stop();
    }
  });
});
