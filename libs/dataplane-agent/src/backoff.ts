import { backoffDelay as delayUnder } from '@meshtls/util';

/** Exponential backoff with full jitter, capped: spreads the reconnects of many dataplanes over time. */
export function backoffDelay(attempt: number, baseMs = 250, capMs = 15_000, random = Math.random): number {
  return delayUnder(attempt, { baseMs, capMs, jitter: 'full' }, random);
}

/**
 * How long a dataplane whose stream was replaced by a newer one of the same name waits before it tries
 * again: doubling with each replacement from `baseMs` up to `capMs`, never less than half of that (equal
 * jitter), so two sidecars running with one name stop taking the identity from each other within a few
 * rounds instead of flapping.
 */
export function replacedBackoffDelay(
  replaced: number,
  baseMs = 1_000,
  capMs = 300_000,
  random = Math.random,
): number {
  return delayUnder(replaced, { baseMs, capMs, jitter: 'equal' }, random);
}
