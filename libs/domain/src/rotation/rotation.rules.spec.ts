import type { DataplaneSpec } from '../dataplane/dataplane.types';
import {
  MIN_ISSUANCES_PER_ROTATION,
  certificateState,
  dataplaneIdentityChanged,
  isRotationDue,
  issuanceRatePerMinute,
  renewAtOf,
  renewalGraceMs,
  rotateAtOf,
  rotationRequestVerdict,
} from './rotation.rules';

const day = 24 * 3_600_000;

describe('rotateAtOf', () => {
  it('is 4/5 of the validity after notBefore: day 24 of a 30-day certificate', () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const notAfter = new Date(notBefore.getTime() + 30 * day);
    expect(rotateAtOf(notBefore, notAfter).toISOString()).toBe('2026-01-25T00:00:00.000Z');
  });

  it('works for short validities, to the millisecond', () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    expect(rotateAtOf(notBefore, new Date(notBefore.getTime() + 30_000)).getTime()).toBe(
      notBefore.getTime() + 24_000,
    );
  });

  it('is due at rotateAt, not a millisecond before', () => {
    const notBefore = new Date(0);
    const notAfter = new Date(10_000);
    expect(isRotationDue(notBefore, notAfter, new Date(7_999))).toBe(false);
    expect(isRotationDue(notBefore, notAfter, new Date(8_000))).toBe(true);
  });
});

describe('certificateState', () => {
  const times = { rotateAt: new Date(8_000), notAfter: new Date(10_000) };

  it('is fresh before rotateAt, due from rotateAt, expired from notAfter', () => {
    expect(certificateState(times, new Date(7_999))).toBe('fresh');
    expect(certificateState(times, new Date(8_000))).toBe('due');
    expect(certificateState(times, new Date(9_999))).toBe('due');
    expect(certificateState(times, new Date(10_000))).toBe('expired');
    expect(certificateState(times, new Date(10 * day))).toBe('expired');
  });
});

describe('renewAtOf: when a dataplane asks for a new certificate itself', () => {
  /** A certificate valid `validityMs` from t=0, rotated at 4/5 as the control plane computes it. */
  const certificate = (validityMs: number) => {
    const notBefore = new Date(0);
    const notAfter = new Date(validityMs);
    return { notBefore, notAfter, rotateAt: rotateAtOf(notBefore, notAfter) };
  };

  it('waits 10 % of the validity past rotateAt: day 27 of a 30-day certificate, minute 54 of an hour', () => {
    expect(renewAtOf(certificate(30 * day)).getTime()).toBe(27 * day);
    expect(renewAtOf(certificate(3_600_000)).getTime()).toBe(54 * 60_000);
    expect(renewalGraceMs(30 * day)).toBe(3 * day);
  });

  it('waits at least 5 s, but asks by 95 % of the validity however short the certificate', () => {
    expect(renewalGraceMs(40_000)).toBe(5_000);
    // 40 s: 10 % is 4 s, so 5 s: rotated at 32 s, asked at 37 s.
    expect(renewAtOf(certificate(40_000)).getTime()).toBe(37_000);
    // 60 s: 10 % is 6 s, more than the minimum: rotated at 48 s, asked at 54 s.
    expect(renewAtOf(certificate(60_000)).getTime()).toBe(54_000);
    // 30 s: rotated at 24 s; 24 + 5 = 29 s is past 95 %, so 28.5 s. 10 s: 9.5 s.
    expect(renewAtOf(certificate(30_000)).getTime()).toBe(28_500);
    expect(renewAtOf(certificate(10_000)).getTime()).toBe(9_500);
  });

  it('takes a grace of its own, still within 95 %', () => {
    expect(renewAtOf(certificate(30 * day), 3_600_000).getTime()).toBe(24 * day + 3_600_000);
    expect(renewAtOf(certificate(30_000), 0).getTime()).toBe(24_000);
    expect(renewAtOf(certificate(30_000), 1_000).getTime()).toBe(25_000);
    expect(renewAtOf(certificate(30_000), 365 * day).getTime()).toBe(28_500);
    expect(() => renewAtOf(certificate(30_000), -1)).toThrow(RangeError);
    expect(() => renewAtOf(certificate(30_000), Number.NaN)).toThrow(RangeError);
  });

  it('never asks before the rotation time the control plane gave, even one later than 95 %', () => {
    const late = { notBefore: new Date(0), notAfter: new Date(10_000), rotateAt: new Date(9_900) };
    expect(renewAtOf(late).getTime()).toBe(9_900);
  });
});

describe('dataplaneIdentityChanged', () => {
  const dp = (tags: Record<string, string>, port = 8080): DataplaneSpec =>
    ({ networking: { address: '10.0.0.1', inbound: [{ port, tags }] } }) as DataplaneSpec;

  it('is true when the tags of an inbound change', () => {
    expect(
      dataplaneIdentityChanged('m', dp({ 'kuma.io/service': 'a' }), dp({ 'kuma.io/service': 'b' })),
    ).toBe(true);
    expect(
      dataplaneIdentityChanged('m', dp({ 'kuma.io/service': 'a' }), dp({ 'kuma.io/service': 'a', v: '2' })),
    ).toBe(true);
  });

  it('is false when only ports or addresses change', () => {
    expect(
      dataplaneIdentityChanged('m', dp({ 'kuma.io/service': 'a' }), dp({ 'kuma.io/service': 'a' }, 9090)),
    ).toBe(false);
  });
});

describe('rotationRequestVerdict', () => {
  const held = { serial: 'aa01', rotateAt: '2026-01-25T00:00:00.000Z' };

  it('rotates the certificate the dataplane holds once its rotation time has come, or passed', () => {
    expect(rotationRequestVerdict(held, 'aa01', new Date('2026-01-25T00:00:00.000Z'))).toBe('rotate');
    expect(rotationRequestVerdict(held, 'aa01', new Date('2026-02-20T00:00:00.000Z'))).toBe('rotate');
  });

  it('refuses a request before the rotation time, by a millisecond too', () => {
    expect(rotationRequestVerdict(held, 'aa01', new Date('2026-01-24T23:59:59.999Z'))).toBe('not-due');
  });

  it('calls a request for another certificate stale, due or not, and one for a dataplane holding none', () => {
    expect(rotationRequestVerdict(held, 'bb02', new Date('2026-02-20T00:00:00.000Z'))).toBe('stale');
    expect(rotationRequestVerdict(held, 'bb02', new Date('2026-01-01T00:00:00.000Z'))).toBe('stale');
    expect(rotationRequestVerdict(undefined, 'aa01', new Date('2026-02-20T00:00:00.000Z'))).toBe('stale');
  });
});

describe('issuanceRatePerMinute', () => {
  it('is the configured rate for certificates of minutes, days or years', () => {
    expect(issuanceRatePerMinute(6, 30 * day)).toBe(6);
    expect(issuanceRatePerMinute(6, 60_000)).toBe(6);
    expect(issuanceRatePerMinute(6, undefined)).toBe(6);
  });

  it('allows three certificates per rotation period of short-lived ones, so none expires for the limit', () => {
    // 10 s certificates rotate every 8 s: 7.5 rotations a minute, so 22.5 certificates a minute.
    expect(issuanceRatePerMinute(6, 10_000)).toBeCloseTo(22.5);
    expect(issuanceRatePerMinute(6, 10_000) / 60).toBeGreaterThanOrEqual(
      MIN_ISSUANCES_PER_ROTATION / (0.8 * 10),
    );
    expect(issuanceRatePerMinute(60, 10_000)).toBe(60);
  });
});
