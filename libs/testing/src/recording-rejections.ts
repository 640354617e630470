import type { RejectedValue, RejectionObserver, RejectionSource } from '@meshtls/util';

/** A RejectionObserver for tests: what was rejected and settled, and which keys are still rejected. */
export class RecordingRejections implements RejectionObserver {
  readonly values: RejectedValue[] = [];
  readonly settledKeys: string[] = [];
  private readonly open = new Set<string>();

  rejected(value: RejectedValue): void {
    this.values.push(value);
    this.open.add(`${value.source}:${value.key}`);
  }

  settled(source: RejectionSource, key: string): void {
    this.settledKeys.push(`${source}:${key}`);
    this.open.delete(`${source}:${key}`);
  }

  /** `source:key` of every value rejected and not settled since. */
  get pending(): string[] {
    return [...this.open].sort();
  }
}
