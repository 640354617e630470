/**
 * Whether each simulated dataplane holds a valid certificate, judged from the certificate it holds (its
 * notBefore and notAfter read from the X.509 itself, not from what the control plane says of it) against
 * the clock.
 */
import { X509Certificate } from 'node:crypto';

/** A certificate's validity, in ms since the epoch, as the certificate states it. */
export interface CertificateWindow {
  readonly notBefore: number;
  readonly notAfter: number;
}

export function certificateWindow(certPem: string): CertificateWindow {
  const cert = new X509Certificate(certPem);
  return { notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) };
}

/** What a {@link ValidityWatch} found, from each dataplane's first certificate to its final check. */
export interface ValidityReport {
  /** Checks made: each dataplane that had had a certificate, at each sample, certificate change and the end. */
  readonly checks: number;
  /** Checks that found a dataplane without a valid certificate (none, expired, or not yet valid). */
  readonly invalidMoments: number;
  /** The dataplanes found so at least once: how often, first and last time. */
  readonly invalid: { index: number; moments: number; firstAt: number; lastAt: number }[];
  /** Dataplanes without a valid certificate at the final check, those that never had one included. */
  readonly invalidAtEnd: number[];
}

/** Merges the reports of several workers (each watching its own dataplanes). */
export function mergeValidityReports(reports: readonly ValidityReport[]): ValidityReport {
  return {
    checks: reports.reduce((n, r) => n + r.checks, 0),
    invalidMoments: reports.reduce((n, r) => n + r.invalidMoments, 0),
    invalid: reports.flatMap((r) => r.invalid).sort((a, b) => a.index - b.index),
    invalidAtEnd: reports.flatMap((r) => r.invalidAtEnd).sort((a, b) => a - b),
  };
}

/** One watched dataplane: its index in the fleet and the certificate PEM it holds now, if any. */
export interface Holder {
  readonly index: number;
  current(): string | undefined;
}

/**
 * Checks every dataplane that has had a certificate: when asked (`sample`, e.g. on a timer), when its
 * certificate changes (the one it gives up, at that moment, and the one it gets) and at the end.
 */
export class ValidityWatch {
  private readonly windows = new Map<string, CertificateWindow>();
  private readonly hadOne = new Set<number>();
  private readonly found = new Map<number, { moments: number; firstAt: number; lastAt: number }>();
  private checks = 0;
  private invalidMoments = 0;

  constructor(private readonly holders: readonly Holder[]) {}

  /** A certificate arrived: `previous` is the one the dataplane held until now. */
  changed(index: number, previous: string | undefined, next: string, now = Date.now()): void {
    if (this.hadOne.has(index)) this.check(index, previous, now);
    this.hadOne.add(index);
    this.check(index, next, now);
    if (previous !== undefined && previous !== next) this.windows.delete(previous);
  }

  /** Checks every dataplane that has had a certificate against the clock now. */
  sample(now = Date.now()): void {
    for (const h of this.holders) if (this.hadOne.has(h.index)) this.check(h.index, h.current(), now);
  }

  /** A last check of every dataplane now, and what was found since the first certificate. */
  report(now = Date.now()): ValidityReport {
    this.sample(now);
    const invalidAtEnd = this.holders
      .filter((h) => !this.valid(h.current(), now))
      .map((h) => h.index)
      .sort((a, b) => a - b);
    return {
      checks: this.checks,
      invalidMoments: this.invalidMoments,
      invalid: [...this.found].map(([index, f]) => ({ index, ...f })).sort((a, b) => a.index - b.index),
      invalidAtEnd,
    };
  }

  private check(index: number, certPem: string | undefined, now: number): void {
    this.checks++;
    if (this.valid(certPem, now)) return;
    this.invalidMoments++;
    const f = this.found.get(index);
    if (f) {
      f.moments++;
      f.lastAt = now;
    } else this.found.set(index, { moments: 1, firstAt: now, lastAt: now });
  }

  /** The validity of a certificate held now, read from it once. */
  windowOf(certPem: string): CertificateWindow {
    let window = this.windows.get(certPem);
    if (!window) {
      window = certificateWindow(certPem);
      this.windows.set(certPem, window);
    }
    return window;
  }

  private valid(certPem: string | undefined, now: number): boolean {
    if (certPem === undefined) return false;
    const window = this.windowOf(certPem);
    return window.notBefore <= now && now < window.notAfter;
  }
}
