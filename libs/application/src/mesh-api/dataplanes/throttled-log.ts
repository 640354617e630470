import type { Clock } from '@meshtls/util';

/**
 * Log lines about things a peer can make happen as often as it likes (replayed requests, refused
 * issuance): the first of each kind goes out, then at most one per `everyMs`, saying how many were not
 * written in between. Metrics count every one.
 */
export class ThrottledLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly write: (message: string) => void,
    private readonly clock: Clock,
    private readonly everyMs = 10_000,
  ) {}

  /** Writes `message` unless a line of the same `kind` was written less than `everyMs` ago. */
  log(kind: string, message: string): void {
    const now = this.clock.now().getTime();
    const entry = this.last.get(kind);
    if (entry && now - entry.at < this.everyMs) {
      entry.suppressed++;
      return;
    }
    if (this.last.size >= 10_000) this.forgetOlderThan(now - this.everyMs);
    this.last.set(kind, { at: now, suppressed: 0 });
    const more = entry?.suppressed
      ? ` (${entry.suppressed} more like it not logged since the last line)`
      : '';
    this.write(`${message}${more}`);
  }

  private forgetOlderThan(time: number): void {
    for (const [kind, entry] of this.last) if (entry.at < time) this.last.delete(kind);
  }
}
