import type { DegradationReporter } from '@meshtls/util';

/** One reported degradation, as `/health/ready` shows it. */
export interface Degradation {
  readonly source: string;
  readonly reason: string;
  /** When it was first reported (RFC 3339); a new reason for the same source keeps it. */
  readonly since: string;
}

/**
 * The degradations of this process, reported by any part of it (stores skipping values they could not
 * decode, a full disk, rotation passes failing): while there is one, `/health/ready` answers 503 with
 * every reason. Each part clears what it reported when it is fine again; what "fine" means is the
 * reporter's (see docs/reliability.md, "Values that do not decode").
 */
export class HealthDegradations implements DegradationReporter {
  private readonly current = new Map<string, Degradation>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  report(source: string, reason: string): void {
    const since = this.current.get(source)?.since ?? this.now().toISOString();
    this.current.set(source, { source, reason, since });
  }

  clear(source: string): void {
    this.current.delete(source);
  }

  get size(): number {
    return this.current.size;
  }

  /** The oldest first, at most `limit` of them. */
  list(limit = Number.POSITIVE_INFINITY): Degradation[] {
    return [...this.current.values()].slice(0, limit);
  }
}
