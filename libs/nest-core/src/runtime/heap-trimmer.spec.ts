import { getHeapSpaceStatistics } from 'node:v8';
import {
  HEAP_TRIM_DEFAULTS,
  HeapTrimmer,
  shouldTrimHeap,
  v8Heap,
  type HeapTrim,
  type TrimmableHeap,
} from './heap-trimmer';

const MiB = 1024 * 1024;
const policy = {
  ...HEAP_TRIM_DEFAULTS,
  minGrowthBytes: 32 * MiB,
  minGrowthRatio: 0.5,
  maxUtilization: 0.75,
  settledGrowthBytes: 16 * MiB,
  growingBytes: 4 * MiB,
};

describe('shouldTrimHeap', () => {
  const reading = { oldGeneration: 300 * MiB, baseline: 100 * MiB, utilization: 0.2 };

  it('trims an old generation grown by at least 32 MiB and half its size after the last trim', () => {
    expect(shouldTrimHeap(reading, policy)).toBe(true);
    expect(shouldTrimHeap({ ...reading, oldGeneration: 150 * MiB }, policy)).toBe(true);
  });

  it('leaves a heap that grew by less than the share of its baseline', () => {
    expect(shouldTrimHeap({ ...reading, oldGeneration: 149 * MiB }, policy)).toBe(false);
  });

  it('leaves a small heap that grew by less than 32 MiB, whatever the share', () => {
    expect(shouldTrimHeap({ oldGeneration: 41 * MiB, baseline: 10 * MiB, utilization: 0 }, policy)).toBe(
      false,
    );
  });

  it('trims a smaller growth once the heap has stopped growing after a burst', () => {
    const settled = { oldGeneration: 120 * MiB, baseline: 100 * MiB, utilization: 0.1 };
    expect(
      shouldTrimHeap({ ...settled, intervalBeforeGrowth: 8 * MiB, lastIntervalGrowth: 1 * MiB }, policy),
    ).toBe(true);
    // still growing, or never was: wait
    expect(
      shouldTrimHeap({ ...settled, intervalBeforeGrowth: 8 * MiB, lastIntervalGrowth: 4 * MiB }, policy),
    ).toBe(false);
    expect(shouldTrimHeap({ ...settled, intervalBeforeGrowth: 3 * MiB, lastIntervalGrowth: 0 }, policy)).toBe(
      false,
    );
    // stopped, but too little to give back
    expect(
      shouldTrimHeap(
        { ...settled, oldGeneration: 115 * MiB, intervalBeforeGrowth: 8 * MiB, lastIntervalGrowth: 0 },
        policy,
      ),
    ).toBe(false);
  });

  it('trims once after start-up, whatever the size', () => {
    expect(shouldTrimHeap({ oldGeneration: 5 * MiB, utilization: 0 }, policy)).toBe(true);
    expect(shouldTrimHeap({ oldGeneration: 5 * MiB, utilization: 0.9 }, policy)).toBe(false);
  });

  it('waits while the event loop is busier than the policy allows (a burst still running)', () => {
    expect(shouldTrimHeap({ ...reading, utilization: 0.76 }, policy)).toBe(false);
    expect(shouldTrimHeap({ ...reading, utilization: 0.75 }, policy)).toBe(true);
  });
});

/** A heap whose old generation is what the test sets, compacted to `live` bytes. */
class FakeHeap implements TrimmableHeap {
  compactions = 0;
  constructor(
    public size: number,
    public live: number,
  ) {}
  oldGenerationBytes(): number {
    return this.size;
  }
  compact(): void {
    this.compactions++;
    this.size = this.live;
  }
}

describe('HeapTrimmer', () => {
  afterEach(() => jest.useRealTimers());

  it('trims after growth, measures the next growth from what the trim left, and reports each trim', () => {
    const heap = new FakeHeap(200 * MiB, 60 * MiB);
    const trims: HeapTrim[] = [];
    let busy = 0.1;
    const trimmer = new HeapTrimmer(
      policy,
      (t) => trims.push(t),
      heap,
      () => busy,
    );

    expect(trimmer.check()).toMatchObject({ before: 200 * MiB, after: 60 * MiB });
    heap.size = 90 * MiB; // +30 MiB since the trim: under both thresholds
    expect(trimmer.check()).toBeUndefined();
    heap.size = 100 * MiB; // +40 MiB: over 32 MiB and over half of 60 MiB, but the loop is busy
    heap.live = 70 * MiB;
    busy = 0.9;
    expect(trimmer.check()).toBeUndefined();
    busy = 0.3;
    expect(trimmer.check()).toMatchObject({ before: 100 * MiB, after: 70 * MiB });
    expect(trims.map((t) => t.after)).toEqual([60 * MiB, 70 * MiB]);
    expect(heap.compactions).toBe(2);
    expect(trims.every((t) => t.pauseMs >= 0)).toBe(true);
  });

  it('gives back the end of a burst once the heap stops growing, and then waits for new growth', () => {
    const heap = new FakeHeap(100 * MiB, 100 * MiB);
    const trimmer = new HeapTrimmer(
      policy,
      () => undefined,
      heap,
      () => 0.2,
    );
    expect(trimmer.check()).toBeDefined(); // start-up
    // Grows by 10 MiB an interval, stops at 131 MiB (31 MiB over the start-up trim: under 32 MiB and half,
    // over 16 MiB): trimmed to 111 MiB; then grows by 1 MiB an interval, which is no burst.
    const sizes = [110, 120, 130, 131, 112, 113, 114, 114].map((m) => m * MiB);
    const trimmedAt = sizes.flatMap((size, i) => {
      heap.size = size;
      heap.live = size - 20 * MiB;
      return trimmer.check() ? [i] : [];
    });
    expect(trimmedAt).toEqual([3]);
    expect(heap.compactions).toBe(2);
  });

  it('looks at the heap every interval once started, and never after stop or with interval 0', () => {
    jest.useFakeTimers();
    const heap = new FakeHeap(200 * MiB, 60 * MiB);
    const trimmer = new HeapTrimmer(
      { ...policy, intervalMs: 1000 },
      () => undefined,
      heap,
      () => 0,
    );
    trimmer.start();
    jest.advanceTimersByTime(999);
    expect(heap.compactions).toBe(0);
    jest.advanceTimersByTime(1);
    expect(heap.compactions).toBe(1);
    heap.size = 200 * MiB;
    trimmer.stop();
    jest.advanceTimersByTime(5000);
    expect(heap.compactions).toBe(1);

    const off = new HeapTrimmer(
      { ...policy, intervalMs: 0 },
      () => undefined,
      heap,
      () => 0,
    );
    off.start();
    jest.advanceTimersByTime(60_000);
    expect(heap.compactions).toBe(1);
  });
});

describe('v8Heap', () => {
  const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_size;

  it('gives back old-space pages a burst left sparsely used, which a plain major GC keeps', () => {
    // A burst's objects, promoted to the old generation, then all but one in 16 dropped: every page
    // keeps a few live objects, so only moving them together frees pages.
    let burst: { a: number; b: number[] }[] = [];
    for (let i = 0; i < 400_000; i++) burst.push({ a: i, b: [i] });
    v8Heap.compact();
    const filled = oldSpace();
    burst = burst.filter((_, i) => i % 16 === 0);
    v8Heap.compact();
    const trimmed = oldSpace();
    expect(burst).toHaveLength(25_000);
    // 400,000 such objects fill about 35 MiB; what is left of them fits in a tenth of that.
    expect(filled - trimmed).toBeGreaterThan(20 * MiB);
  });

  it('leaves no global gc behind', () => {
    v8Heap.compact();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
