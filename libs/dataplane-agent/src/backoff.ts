/** Exponential backoff with full jitter, capped: spreads the reconnects of many dataplanes over time. */
export function backoffDelay(attempt: number, baseMs = 250, capMs = 15_000, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.floor(random() * ceiling);
}
