import { X509Certificate } from 'node:crypto';
import { renewAtOf, rotateAtOf, type CertificateTimes } from '@meshtls/domain';
import { backoffDelay } from './backoff';

/** The longest delay setTimeout takes (about 24.8 days); a longer wait is made of several. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The times of a certificate as the dataplane holds it: `notBefore` and `notAfter` from the certificate
 * itself, `rotateAt` as the control plane stated it when it lies within them (else the rotation rule's).
 */
export function certificateTimes(certPem: string, statedRotateAt: string): CertificateTimes {
  const cert = new X509Certificate(certPem);
  const notBefore = new Date(Date.parse(cert.validFrom));
  const notAfter = new Date(Date.parse(cert.validTo));
  const stated = Date.parse(statedRotateAt);
  const rotateAt =
    Number.isFinite(stated) && stated >= notBefore.getTime() && stated <= notAfter.getTime()
      ? new Date(stated)
      : rotateAtOf(notBefore, notAfter);
  return { notBefore, notAfter, rotateAt };
}

/** The timers and clock the schedule runs on; tests pass manual ones. */
export interface RenewalTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: RenewalTimers = {
  // Unref'd: a pending renewal alone does not keep a process alive.
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

/** Asking again while no new certificate comes: after 1 s, then up to 30 s apart (full jitter on top of 1 s). */
export function renewalRetryDelay(attempt: number, random = Math.random): number {
  return 1_000 + backoffDelay(attempt, 1_000, 29_000, random);
}

export interface RenewalScheduleOptions {
  /** Replaces the default grace past rotateAt (`renewalGraceMs` of the domain's rotation rules). */
  readonly graceMs?: number;
  /** How long to wait before asking again, by attempt (0 after the first ask). */
  readonly retryDelay?: (attempt: number) => number;
  readonly timers?: RenewalTimers;
}

/**
 * The dataplane's own renewal, as SPIRE's agent renews its SVIDs: the control plane rotates a
 * certificate at its rotation time; if by `renewAtOf` (rotateAt + grace) the dataplane still holds it,
 * `ask` is called (the agent sends an unasked CSR), and again with backoff until `plan` is called with the
 * next certificate or `cancel` drops it.
 */
export class RenewalSchedule {
  private readonly timers: RenewalTimers;
  private readonly retryDelay: (attempt: number) => number;
  private timer: unknown;
  private planned?: { serial: string; renewAt: number; attempt: number };

  constructor(
    private readonly ask: (serial: string) => void,
    private readonly options: RenewalScheduleOptions = {},
  ) {
    this.timers = options.timers ?? realTimers;
    this.retryDelay = options.retryDelay ?? renewalRetryDelay;
    const grace = options.graceMs;
    if (grace !== undefined && !(Number.isFinite(grace) && grace >= 0)) {
      throw new RangeError(`renewal grace must be a finite number of milliseconds >= 0, got ${grace}`);
    }
  }

  /** When the certificate held now is asked for, if one is planned. */
  get renewAt(): Date | undefined {
    return this.planned && new Date(this.planned.renewAt);
  }

  /** A new certificate is held: its renewal replaces any planned before. */
  plan(serial: string, times: CertificateTimes): void {
    this.cancel();
    const renewAt = renewAtOf(times, this.options.graceMs).getTime();
    this.planned = { serial, renewAt, attempt: 0 };
    this.wakeAt(renewAt);
  }

  /** No certificate is held any more (mTLS withdrawn, stopped). */
  cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.planned = undefined;
  }

  private wakeAt(at: number): void {
    const delay = Math.max(0, at - this.timers.now());
    this.timer = this.timers.setTimeout(() => this.wake(at), Math.min(delay, MAX_TIMER_MS));
  }

  private wake(at: number): void {
    this.timer = undefined;
    const planned = this.planned;
    if (planned === undefined) return;
    // Part of a wait longer than one timer.
    if (this.timers.now() < at) return this.wakeAt(at);
    this.ask(planned.serial);
    // ask() may have planned the next certificate already.
    if (this.planned !== planned) return;
    this.wakeAt(this.timers.now() + this.retryDelay(planned.attempt++));
  }
}
