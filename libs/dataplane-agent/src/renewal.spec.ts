import { generateKeyPairSync } from 'node:crypto';
import { rotateAtOf } from '@meshtls/domain';
import { SigningCa, builtinCaCertificate } from '@meshtls/pki';
import { RenewalSchedule, certificateTimes, renewalRetryDelay, type RenewalTimers } from './renewal';

const DAY = 86_400_000;
const T0 = Date.parse('2026-06-01T00:00:00Z');

/** A clock and timers moved by hand: `advanceTo` runs every timer due by then, in order. */
class VirtualTime implements RenewalTimers {
  private time = T0;
  private ids = 0;
  private pending: { at: number; fn: () => void; id: number }[] = [];
  /** Every delay asked for, to check none exceeds what setTimeout takes. */
  readonly delays: number[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.delays.push(ms);
    const id = ++this.ids;
    this.pending.push({ at: this.time + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((t) => t.id !== handle);
  }

  advanceTo(at: number): void {
    for (;;) {
      const next = this.pending.filter((t) => t.at <= at).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.pending = this.pending.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
    }
    this.time = at;
  }
}

/** A certificate valid `validityMs` from T0, rotated at 4/5 as the control plane states it. */
const times = (validityMs: number, from = T0) => {
  const notBefore = new Date(from);
  const notAfter = new Date(from + validityMs);
  return { notBefore, notAfter, rotateAt: rotateAtOf(notBefore, notAfter) };
};

describe('RenewalSchedule', () => {
  let clock: VirtualTime;
  let asked: { serial: string; at: number }[];
  const schedule = (options: { graceMs?: number; retryDelay?: (attempt: number) => number } = {}) =>
    new RenewalSchedule((serial) => asked.push({ serial, at: clock.now() }), { timers: clock, ...options });

  beforeEach(() => {
    clock = new VirtualTime();
    asked = [];
  });

  it('asks at rotateAt + grace, not a millisecond before, when no new certificate came', () => {
    const renewal = schedule();
    renewal.plan('s-1', times(30_000));
    // 30 s: rotated at 24 s, asked at 28.5 s (95 % of the validity).
    expect(renewal.renewAt?.getTime()).toBe(T0 + 28_500);
    clock.advanceTo(T0 + 28_499);
    expect(asked).toEqual([]);
    clock.advanceTo(T0 + 28_500);
    expect(asked).toEqual([{ serial: 's-1', at: T0 + 28_500 }]);
  });

  it('asks again, further apart, until the next certificate is planned; then follows that one', () => {
    const renewal = schedule({ graceMs: 1_000, retryDelay: (attempt) => 1_000 * 2 ** attempt });
    renewal.plan('s-1', times(10_000));
    clock.advanceTo(T0 + 20_000);
    // 8 s + 1 s, then 1 s, 2 s, 4 s later: asked also once it expired, as long as nothing came.
    expect(asked.map((a) => a.at - T0)).toEqual([9_000, 10_000, 12_000, 16_000]);
    asked = [];
    renewal.plan('s-2', times(10_000, T0 + 20_000));
    clock.advanceTo(T0 + 28_999);
    expect(asked).toEqual([]);
    clock.advanceTo(T0 + 29_000);
    expect(asked).toEqual([{ serial: 's-2', at: T0 + 29_000 }]);
  });

  it('does not ask for a certificate rotated on time, nor after cancel', () => {
    const renewal = schedule();
    renewal.plan('s-1', times(30_000));
    clock.advanceTo(T0 + 24_000);
    renewal.plan('s-2', times(30_000, T0 + 24_000)); // the scheduler rotated it at 24 s
    clock.advanceTo(T0 + 50_000);
    expect(asked).toEqual([]);
    renewal.cancel(); // mTLS withdrawn
    expect(renewal.renewAt).toBeUndefined();
    clock.advanceTo(T0 + DAY);
    expect(asked).toEqual([]);
  });

  it('waits out a 30-day certificate to day 27 with timers no longer than setTimeout takes', () => {
    const renewal = schedule();
    renewal.plan('s-1', times(30 * DAY));
    clock.advanceTo(T0 + 27 * DAY - 1);
    expect(asked).toEqual([]);
    clock.advanceTo(T0 + 27 * DAY);
    expect(asked).toEqual([{ serial: 's-1', at: T0 + 27 * DAY }]);
    expect(Math.max(...clock.delays)).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('refuses a grace that cannot be', () => {
    expect(() => schedule({ graceMs: -1 })).toThrow(RangeError);
    expect(() => schedule({ graceMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });
});

describe('renewalRetryDelay', () => {
  it('waits 1 s at least, 30 s at most', () => {
    expect(renewalRetryDelay(0, () => 0)).toBe(1_000);
    expect(renewalRetryDelay(0, () => 0.999)).toBe(1_999);
    expect(renewalRetryDelay(10, () => 0.999)).toBe(29_971);
  });
});

describe('certificateTimes', () => {
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const ca = SigningCa.load({
    certChainPem: builtinCaCertificate({ mesh: 'm', backend: 'ca-1', ...caKeys, validityMs: DAY, now }),
    keyPem: caKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { certPem } = ca.issue({
    publicKey: leaf.publicKey,
    uris: ['spiffe://m/web'],
    validityMs: 3_600_000,
    now,
  });

  it('reads the validity from the certificate and takes the rotation time stated within it', () => {
    const stated = new Date(now.getTime() + 1_800_000).toISOString();
    const t = certificateTimes(certPem, stated);
    expect(t.notAfter.getTime() - t.notBefore.getTime()).toBeGreaterThanOrEqual(3_600_000);
    expect(t.notAfter.getTime()).toBe(now.getTime() + 3_600_000);
    expect(t.rotateAt.toISOString()).toBe(stated);
  });

  it('computes the rotation time by the rule when the stated one is outside the validity or not a time', () => {
    for (const stated of ['2099-01-01T00:00:00Z', '1999-01-01T00:00:00Z', 'soon']) {
      const t = certificateTimes(certPem, stated);
      expect(t.rotateAt).toEqual(rotateAtOf(t.notBefore, t.notAfter));
    }
  });
});
