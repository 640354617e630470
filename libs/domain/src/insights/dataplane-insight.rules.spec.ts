import {
  EMPTY_INSIGHT,
  isOnline,
  withCertificateIssued,
  withCertificateWithdrawn,
  withConnected,
  withDisconnected,
  type CertificateIssuedEvent,
  type DataplaneInsightSpec,
} from './dataplane-insight.rules';

const cert = (serial: string, notBefore: string, backend = 'ca-1'): CertificateIssuedEvent => ({
  serial,
  backend,
  supportedBackends: [backend],
  notBefore,
  notAfter: new Date(Date.parse(notBefore) + 3_600_000).toISOString(),
  issuedAt: notBefore,
});

/** Applies updates in order; an update answering undefined (nothing changed) keeps the insight. */
const apply = (...updates: ((i: DataplaneInsightSpec) => DataplaneInsightSpec | undefined)[]) =>
  updates.reduce((insight, update) => update(insight) ?? insight, EMPTY_INSIGHT);

describe('dataplane insight', () => {
  it('counts every certificate once, the first included, and shows the newest', () => {
    const a = cert('a1', '2026-11-28T10:00:00.000Z');
    const b = cert('b2', '2026-11-28T11:00:00.000Z', 'ca-2');
    const insight = apply(
      (i) => withCertificateIssued(i, a),
      (i) => withCertificateIssued(i, b),
      (i) => withCertificateIssued(i, a), // redelivered
    );
    expect(insight.mTLS).toEqual({
      certificateExpirationTime: b.notAfter,
      lastCertificateRegeneration: b.issuedAt,
      certificateRegenerations: 2,
      issuedBackend: 'ca-2',
      supportedBackends: ['ca-2'],
    });
    expect(withCertificateIssued(insight, b)).toBeUndefined();
  });

  it('does not let an older certificate arriving late replace the newer one', () => {
    const older = cert('old', '2026-11-28T10:00:00.000Z');
    const newer = cert('new', '2026-11-28T11:00:00.000Z', 'ca-2');
    const insight = apply(
      (i) => withCertificateIssued(i, newer),
      (i) => withCertificateIssued(i, older),
    );
    expect(insight.mTLS).toMatchObject({ issuedBackend: 'ca-2', certificateRegenerations: 2 });
    expect(insight.mTLS!.certificateExpirationTime).toBe(newer.notAfter);
  });

  it('drops the certificate on withdrawal, keeping the count', () => {
    const insight = apply(
      (i) => withCertificateIssued(i, cert('a', '2026-11-28T10:00:00.000Z')),
      (i) => withCertificateWithdrawn(i),
    );
    expect(insight.mTLS).toEqual({
      certificateRegenerations: 1,
      lastCertificateRegeneration: '2026-11-28T10:00:00.000Z',
      supportedBackends: [],
    });
    expect(withCertificateWithdrawn(insight)).toBeUndefined();
  });

  it('keeps streams in time order whatever order their events come in; online while the newest is open', () => {
    const s1 = { id: 's1', controlPlaneInstanceId: 'cp-1', connectTime: '2026-11-28T10:00:00.000Z' };
    const s2 = { id: 's2', controlPlaneInstanceId: 'cp-2', connectTime: '2026-11-28T10:05:00.000Z' };
    const insight = apply(
      (i) => withConnected(i, s2),
      (i) => withDisconnected(i, { ...s1, disconnectTime: '2026-11-28T10:04:00.000Z' }), // before its connect
      (i) => withConnected(i, s1),
    );
    expect(insight.subscriptions.map((s) => [s.id, s.disconnectTime])).toEqual([
      ['s1', '2026-11-28T10:04:00.000Z'],
      ['s2', undefined],
    ]);
    expect(isOnline(insight)).toBe(true);
    const gone = withDisconnected(insight, { ...s2, disconnectTime: '2026-11-28T10:09:00.000Z' })!;
    expect(isOnline(gone)).toBe(false);
    expect(withDisconnected(gone, { ...s2, disconnectTime: '2026-11-28T10:09:00.000Z' })).toBeUndefined();
  });

  it('ends a stream whose replica died silently when a newer stream of the dataplane opens', () => {
    const insight = apply(
      (i) =>
        withConnected(i, {
          id: 'a',
          controlPlaneInstanceId: 'cp-1',
          connectTime: '2026-11-28T10:00:00.000Z',
        }),
      (i) =>
        withConnected(i, {
          id: 'b',
          controlPlaneInstanceId: 'cp-2',
          connectTime: '2026-11-28T10:01:00.000Z',
        }),
    );
    expect(insight.subscriptions.map((s) => [s.id, s.disconnectTime])).toEqual([
      ['a', '2026-11-28T10:01:00.000Z'],
      ['b', undefined],
    ]);
    expect(isOnline(insight)).toBe(true);
  });

  it('counts each stream replaced by a newer one of the dataplane once, in any order, with its time', () => {
    const older = { id: 'a', controlPlaneInstanceId: 'cp-1', connectTime: '2026-11-28T10:00:00.000Z' };
    const newer = { id: 'b', controlPlaneInstanceId: 'cp-1', connectTime: '2026-11-28T10:01:00.000Z' };
    const replaced = { ...older, disconnectTime: '2026-11-28T10:01:00.010Z', reason: 'replaced' as const };
    // The newer stream's connect is announced first and already ends the older one.
    const inOrder = apply(
      (i) => withConnected(i, older),
      (i) => withConnected(i, newer),
      (i) => withDisconnected(i, replaced),
      (i) => withDisconnected(i, replaced), // redelivered
    );
    const reordered = apply(
      (i) => withDisconnected(i, replaced),
      (i) => withConnected(i, newer),
      (i) => withConnected(i, older),
      (i) => withDisconnected(i, replaced),
    );
    for (const insight of [inOrder, reordered]) {
      expect(insight).toMatchObject({ replacedStreams: 1, lastReplacedTime: replaced.disconnectTime });
      expect(insight.subscriptions).toEqual([
        { ...older, disconnectTime: replaced.disconnectTime, disconnectReason: 'replaced' },
        newer,
      ]);
      expect(isOnline(insight)).toBe(true);
    }
    // A stream that simply ended is not counted.
    const ended = withDisconnected(inOrder, { ...newer, disconnectTime: '2026-11-28T10:05:00.000Z' })!;
    expect(ended).toMatchObject({ replacedStreams: 1 });
    expect(ended.subscriptions[1]!.disconnectReason).toBeUndefined();
  });
});
