import type { KV, KvEntry, NatsConnection, QueuedIterator, Status } from 'nats';

/**
 * A watch over a whole KV bucket that outlives reconnects. It delivers the bucket's current content once
 * (`live` false), then every change in revision order (`live` true).
 *
 * The client's ordered consumer notices a lost server only after missed heartbeats (many seconds), so on
 * every reconnect the watch is replaced at once by a new one that resumes after the last revision it
 * delivered; an entry at or below that revision (overlap of old and new watch) is dropped, so each change
 * is delivered once.
 *
 * An entry the callback throws on is skipped, never the end of the watch: the store decodes every value
 * itself, and a bug there must not leave a process waiting forever for the bucket's content.
 */
export class KvBucketWatcher {
  private watcher: QueuedIterator<KvEntry> | undefined;
  private statuses: (AsyncIterable<Status> & { stop(): void }) | undefined;
  private generation = 0;
  private lastRevision = 0;
  private stopped = false;
  /** The bucket's content up to the watch's start has been delivered: entries from now on are live. */
  private initialized = false;
  private markInitialized: () => void = () => undefined;
  /** Callers of `reached` waiting for a revision to be delivered. */
  private readonly waiters = new Set<{ readonly revision: number; readonly done: () => void }>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly onEntry: (entry: KvEntry, live: boolean) => void,
  ) {}

  /**
   * Resolves once the current content of the bucket has been delivered, also when the first watch ended
   * before it had delivered all of it (a watch resumed then reports it).
   */
  async start(): Promise<void> {
    const ready = new Promise<void>((resolve) => {
      this.markInitialized = () => {
        this.initialized = true;
        resolve();
      };
    });
    const watcher = await this.kv.watch({ key: '>', initializedFn: () => this.markInitialized() });
    this.replace(watcher);
    void this.followReconnects();
    await ready;
  }

  /**
   * Resolves true once every entry up to `revision` has been delivered, or false after `timeoutMs` (or
   * when the watch stops) without it.
   */
  reached(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.lastRevision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(ok);
      };
      const waiter = { revision, done: () => finish(this.lastRevision >= revision) };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  stop(): void {
    for (const waiter of [...this.waiters]) waiter.done();
    this.stopped = true;
    this.statuses?.stop();
    this.watcher?.stop();
  }

  private get active(): boolean {
    // A closed connection never comes back: the watch is then over as well.
    return !this.stopped && !this.nc.isClosed();
  }

  private replace(watcher: QueuedIterator<KvEntry>): void {
    const previous = this.watcher;
    const generation = ++this.generation;
    this.watcher = watcher;
    previous?.stop();
    void this.consume(watcher, generation);
  }

  private async consume(watcher: QueuedIterator<KvEntry>, generation: number) {
    try {
      for await (const entry of watcher) {
        const live = this.initialized;
        if (entry.revision <= this.lastRevision) continue;
        this.lastRevision = entry.revision;
        try {
          this.onEntry(entry, live);
        } catch {
          // Skipped (see the class comment); the watch goes on with the next entry.
        }
        for (const waiter of [...this.waiters]) if (waiter.revision <= entry.revision) waiter.done();
      }
    } catch {
      // Ended with an error; resumed below like any other unexpected end.
    }
    if (generation === this.generation && this.active) void this.resume(250);
  }

  private async followReconnects(): Promise<void> {
    this.statuses = this.nc.status() as AsyncIterable<Status> & { stop(): void };
    for await (const status of this.statuses) {
      if (status.type === 'reconnect' && this.active) void this.resume(0);
    }
  }

  /** Opens a new watch after the last delivered revision, retrying while NATS is unreachable. */
  private async resume(delayMs: number): Promise<void> {
    const generation = this.generation;
    for (let delay = delayMs; this.active && generation === this.generation; delay = 250) {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      try {
        const watcher = await this.kv.watch({
          key: '>',
          resumeFromRevision: this.lastRevision + 1,
          initializedFn: () => this.markInitialized(),
        });
        if (!this.active || generation !== this.generation) {
          watcher.stop();
          return;
        }
        this.replace(watcher);
        return;
      } catch {
        // Not reachable yet (or JetStream still recovering): try again.
      }
    }
  }
}
