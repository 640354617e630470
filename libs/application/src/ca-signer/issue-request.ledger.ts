/** How long an answered request is remembered, and how many at most (the oldest go first). */
export interface IssueRequestLedgerOptions {
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Entry<T> {
  readonly owner: string;
  readonly result: Promise<T>;
  readonly expiresAt: number;
}

/**
 * One certificate per request, however often it is asked: mesh-api asks again under the same request id
 * when an answer does not come (lost with a ca-signer that died, or late). A request seen before gets the
 * same answer, the one being made or the one made, instead of a second certificate. What `keep` rejects
 * (an answer that is not a certificate, e.g. "shed") and failures are forgotten, so a retry is served
 * anew. Entries live in memory only (a certificate may carry the key made for it) for `ttlMs`.
 */
export class IssueRequestLedger<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Requests answered from the ledger instead of signed again. */
  repeats = 0;

  constructor(options: IssueRequestLedgerOptions = {}) {
    this.ttlMs = options.ttlMs ?? 180_000;
    this.maxEntries = options.maxEntries ?? 20_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The answer to request `id` made by `make`, or the one already made (or being made) for it. `owner`
   * names what the request is for (mesh and dataplane): an id reused for something else is not served
   * another's answer, it is made anew.
   */
  run(id: string, owner: string, make: () => Promise<T>, keep: (result: T) => boolean): Promise<T> {
    const now = this.now();
    const known = this.entries.get(id);
    if (known !== undefined && known.expiresAt > now && known.owner === owner) {
      this.repeats++;
      return known.result;
    }
    this.evict(now);
    const result = make();
    const entry = { owner, result, expiresAt: now + this.ttlMs };
    this.entries.set(id, entry);
    const forget = () => {
      if (this.entries.get(id) === entry) this.entries.delete(id);
    };
    result.then((value) => keep(value) || forget(), forget);
    return result;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    // Insertion order is expiry order (one ttl for all): the expired and the oldest are at the front.
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size < this.maxEntries) break;
      this.entries.delete(id);
    }
  }
}
