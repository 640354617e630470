/** Whether a control plane answers ready; the first of the candidates that does wins. */
export async function findReadyControlPlane(
  candidates: readonly string[],
  timeoutMs = 2000,
): Promise<string | undefined> {
  for (const address of candidates) {
    try {
      const response = await fetch(`${address}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
      if (response.ok) return address;
    } catch {
      // Unreachable: try the next candidate.
    }
  }
  return undefined;
}

/** Exponential backoff with full jitter, capped: spreads reconnects of many dataplanes over time. */
export function backoffDelay(attempt: number, baseMs = 250, capMs = 15_000, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.floor(random() * ceiling);
}
