/** How far notBefore is set in the past, so a peer whose clock is slightly behind accepts the certificate. */
export const BACKDATE_MS = {
  leaf: 5_000,
  ca: 60_000,
} as const;

/** A certificate's validity window at the second precision certificates carry. */
export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** notBefore = now - backdate, notAfter = now + validity, both truncated to whole seconds. */
export function validityWindow(now: Date, validityMs: number, backdateMs: number): Validity {
  const at = now.getTime();
  return { notBefore: wholeSeconds(at - backdateMs), notAfter: wholeSeconds(at + validityMs) };
}

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}
