/** Where a value was read that did not decode. */
export type RejectionSource = 'kv' | 'sqlite' | 'redis' | 'stream';

/** One value an adapter read and refused: skipped, never handed to the application. */
export interface RejectedValue {
  readonly source: RejectionSource;
  /**
   * What holds it, never the value: a resource key (`Dataplane/default/web-1`), a raw KV key when it
   * names no resource, a Redis key, an event subject.
   */
  readonly key: string;
  /** What it should have been: a resource type, `lease`, an event subject; `unknown` when not even that. */
  readonly type: string;
  /** Why it was refused: field paths and rules, never the value itself. */
  readonly reason: string;
}

/**
 * Told by the adapters of every value they refused, and of each such key once it is settled (holds a
 * value that decodes again, or is gone), so a process can log, count and report itself degraded
 * meanwhile. Both are called synchronously from the adapter's read path: they must not throw or block.
 */
export interface RejectionObserver {
  rejected(value: RejectedValue): void;
  settled(source: RejectionSource, key: string): void;
}
