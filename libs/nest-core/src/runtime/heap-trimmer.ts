import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * When a process gives back the V8 heap a burst left behind.
 *
 * After a burst (10,000 dataplanes connecting, a CA switch re-issuing every certificate) V8's old
 * generation holds the pages the burst's promoted garbage filled: a major GC frees the objects but keeps
 * the sparsely used pages, and V8's own memory reducer does not run while the process keeps allocating
 * a little (keepalives, reports). A compacting GC moves the live objects together and returns the rest.
 */
export interface HeapTrimPolicy {
  /** How often the heap is looked at; 0 turns trimming off. */
  readonly intervalMs: number;
  /** The old generation must have grown by at least this much since the last trim... */
  readonly minGrowthBytes: number;
  /** ...and by at least this share of what it was right after the last trim. */
  readonly minGrowthRatio: number;
  /** No trim while the event loop was busier than this over the last interval (a burst still running). */
  readonly maxUtilization: number;
  /**
   * Once the old generation stops growing (it grew by at least `growingBytes` in the interval before the
   * last and by less in the last), a growth of this much since the last trim is enough: the end of a
   * burst, whose earlier part a trim may already have given back.
   */
  readonly settledGrowthBytes: number;
  /** Growth over one interval that counts as growing. */
  readonly growingBytes: number;
}

export const HEAP_TRIM_DEFAULTS: HeapTrimPolicy = Object.freeze({
  intervalMs: 30_000,
  minGrowthBytes: 32 * 1024 * 1024,
  minGrowthRatio: 0.5,
  maxUtilization: 0.75,
  settledGrowthBytes: 16 * 1024 * 1024,
  growingBytes: 4 * 1024 * 1024,
});

/** What one look at the heap sees. */
export interface HeapReading {
  /** Committed bytes of V8's old generation (old, code and large-object spaces). */
  readonly oldGeneration: number;
  /** The same right after the last trim; undefined before the first. */
  readonly baseline?: number;
  /** Share of the last interval the event loop was busy, 0..1. */
  readonly utilization: number;
  /** How much the old generation grew over the last interval, and over the one before it. */
  readonly lastIntervalGrowth?: number;
  readonly intervalBeforeGrowth?: number;
}

/**
 * The rule: when the process is not busy, trim once after start-up (what starting left: modules, schemas,
 * connections), then whenever the old generation grew past the policy's threshold since the last trim,
 * and once more when it stops growing after a burst.
 */
export function shouldTrimHeap(reading: HeapReading, policy: HeapTrimPolicy): boolean {
  if (reading.utilization > policy.maxUtilization) return false;
  if (reading.baseline === undefined) return true;
  const growth = reading.oldGeneration - reading.baseline;
  if (growth >= policy.minGrowthBytes && growth >= reading.baseline * policy.minGrowthRatio) return true;
  const stopped =
    (reading.intervalBeforeGrowth ?? 0) >= policy.growingBytes &&
    (reading.lastIntervalGrowth ?? 0) < policy.growingBytes;
  return stopped && growth >= policy.settledGrowthBytes;
}

/** The heap the trimmer reads and compacts; {@link v8Heap} is the process's own. */
export interface TrimmableHeap {
  oldGenerationBytes(): number;
  /** A full GC that compacts every page it can (blocks the event loop while it runs). */
  compact(): void;
}

export interface HeapTrim {
  readonly before: number;
  readonly after: number;
  readonly pauseMs: number;
}

/** Looks at the heap every interval and compacts it when {@link shouldTrimHeap} says so. */
export class HeapTrimmer {
  private baseline?: number;
  private lastLook?: number;
  private lastIntervalGrowth?: number;
  private timer?: NodeJS.Timeout;
  private lastUtilization?: EventLoopUtilization;

  constructor(
    private readonly policy: HeapTrimPolicy,
    private readonly onTrim: (trim: HeapTrim) => void,
    private readonly heap: TrimmableHeap = v8Heap,
    /** Share of the last interval the event loop was busy; this process's own by default. */
    private readonly utilization?: () => number,
  ) {}

  start(): void {
    if (this.policy.intervalMs <= 0 || this.timer) return;
    this.lastUtilization = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.check(), this.policy.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look (what the timer runs): returns the trim made, if any. */
  check(): HeapTrim | undefined {
    const oldGeneration = this.heap.oldGenerationBytes();
    const reading: HeapReading = {
      oldGeneration,
      baseline: this.baseline,
      utilization: this.utilization ? this.utilization() : this.loopUtilization(),
      lastIntervalGrowth: this.lastLook === undefined ? undefined : oldGeneration - this.lastLook,
      intervalBeforeGrowth: this.lastIntervalGrowth,
    };
    this.lastLook = oldGeneration;
    this.lastIntervalGrowth = reading.lastIntervalGrowth;
    if (!shouldTrimHeap(reading, this.policy)) return undefined;
    const started = performance.now();
    this.heap.compact();
    const trim = {
      before: reading.oldGeneration,
      after: this.heap.oldGenerationBytes(),
      pauseMs: performance.now() - started,
    };
    this.baseline = trim.after;
    this.lastLook = trim.after;
    this.onTrim(trim);
    return trim;
  }

  private loopUtilization(): number {
    const now = performance.eventLoopUtilization();
    if (!this.lastUtilization) {
      this.lastUtilization = now;
      return now.utilization;
    }
    const since = performance.eventLoopUtilization(now, this.lastUtilization);
    this.lastUtilization = now;
    return since.utilization;
  }
}

const NEW_GENERATION = new Set(['new_space', 'new_large_object_space']);
let collect: (() => void) | undefined;

/** The V8 heap of this process. */
export const v8Heap: TrimmableHeap = {
  oldGenerationBytes: () =>
    getHeapSpaceStatistics()
      .filter((s) => !NEW_GENERATION.has(s.space_name))
      .reduce((sum, s) => sum + s.space_size, 0),
  compact: () => {
    // The gc function V8 gives a context made while --expose-gc is set; it is taken once and the
    // flag put back, so no code of the process sees a global gc.
    if (!collect) {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
      setFlagsFromString('--no-expose-gc');
    }
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      collect();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  },
};
