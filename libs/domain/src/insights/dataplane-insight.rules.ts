import type { CertificateFacts } from '../identity/certificate-facts';

/**
 * Dataplane insights, as Kuma shows them (`dataplaneInsight`): the dataplane's streams to control
 * planes and its certificate. Built from events delivered at least once and in any order, so every
 * update is idempotent and order-free: a redelivered event changes nothing, a late one does not undo a
 * newer one.
 */

/** One stream of the dataplane to a control-plane replica. */
export interface DataplaneSubscription {
  /** Unique per stream. */
  readonly id: string;
  readonly controlPlaneInstanceId: string;
  readonly connectTime: string;
  readonly disconnectTime?: string;
  /** Why the control plane ended it, when it says: `replaced` (a newer stream of the dataplane took over). */
  readonly disconnectReason?: StreamEndedReason;
}

/** Why the control plane ended a dataplane's stream, as insights show it. */
export const STREAM_ENDED_REASONS = ['replaced'] as const;
export type StreamEndedReason = (typeof STREAM_ENDED_REASONS)[number];

export interface DataplaneMtlsInsight {
  readonly certificateExpirationTime?: string;
  readonly lastCertificateRegeneration?: string;
  /** Certificates generated for the dataplane, the first one included. */
  readonly certificateRegenerations: number;
  readonly issuedBackend?: string;
  readonly supportedBackends: readonly string[];
}

/** The stored spec of a DataplaneInsight. */
export interface DataplaneInsightSpec {
  /** Oldest first; the newest {@link MAX_SUBSCRIPTIONS} only. */
  readonly subscriptions: readonly DataplaneSubscription[];
  readonly mTLS?: DataplaneMtlsInsight;
  /** Serials already counted (the newest {@link MAX_COUNTED_SERIALS}): redeliveries count once. */
  readonly countedSerials?: readonly string[];
  /** notBefore of the certificate `mTLS` describes: an older certificate arriving late does not replace it. */
  readonly certificateNotBefore?: string;
  /**
   * Streams of this dataplane ended because a newer stream of the same dataplane took over (two sidecars
   * running with one name take it from each other), and when that last happened.
   */
  readonly replacedStreams?: number;
  readonly lastReplacedTime?: string;
}

export const MAX_SUBSCRIPTIONS = 10;
export const MAX_COUNTED_SERIALS = 32;

export const EMPTY_INSIGHT: DataplaneInsightSpec = { subscriptions: [] };

export interface CertificateIssuedEvent extends CertificateFacts {
  /** When it was issued (the event's time). */
  readonly issuedAt: string;
}

/** A certificate was issued: counted once per serial; the newest (by notBefore) is the one shown. */
export function withCertificateIssued(
  insight: DataplaneInsightSpec,
  event: CertificateIssuedEvent,
): DataplaneInsightSpec | undefined {
  const counted = insight.countedSerials ?? [];
  if (counted.includes(event.serial)) return undefined;
  const previous = insight.mTLS;
  const newer =
    insight.certificateNotBefore === undefined ||
    Date.parse(event.notBefore) >= Date.parse(insight.certificateNotBefore);
  const lastRegeneration = latest(previous?.lastCertificateRegeneration, event.issuedAt);
  const mTLS: DataplaneMtlsInsight = newer
    ? {
        certificateExpirationTime: event.notAfter,
        lastCertificateRegeneration: lastRegeneration,
        certificateRegenerations: (previous?.certificateRegenerations ?? 0) + 1,
        issuedBackend: event.backend,
        supportedBackends: [...event.supportedBackends],
      }
    : {
        ...previous!,
        lastCertificateRegeneration: lastRegeneration,
        certificateRegenerations: (previous?.certificateRegenerations ?? 0) + 1,
      };
  return {
    ...insight,
    mTLS,
    countedSerials: [...counted, event.serial].slice(-MAX_COUNTED_SERIALS),
    certificateNotBefore: newer ? event.notBefore : insight.certificateNotBefore,
  };
}

/** mTLS was turned off: the dataplane holds no certificate (the count of past ones stays). */
export function withCertificateWithdrawn(insight: DataplaneInsightSpec): DataplaneInsightSpec | undefined {
  if (!insight.mTLS || insight.mTLS.issuedBackend === undefined) return undefined;
  const { certificateRegenerations, lastCertificateRegeneration } = insight.mTLS;
  return {
    ...insight,
    mTLS: {
      certificateRegenerations,
      ...(lastCertificateRegeneration ? { lastCertificateRegeneration } : {}),
      supportedBackends: [],
    },
  };
}

/**
 * A stream opened. A dataplane holds one stream at a time, so streams opened before it and still open
 * ended when it opened (their replica may have died without saying so).
 */
export function withConnected(
  insight: DataplaneInsightSpec,
  subscription: { id: string; controlPlaneInstanceId: string; connectTime: string },
): DataplaneInsightSpec | undefined {
  if (insight.subscriptions.some((s) => s.id === subscription.id)) return undefined;
  const opened = Date.parse(subscription.connectTime);
  const subscriptions = [...insight.subscriptions, { ...subscription }]
    .sort((a, b) => Date.parse(a.connectTime) - Date.parse(b.connectTime))
    .map((s, i, all) => {
      const next = all[i + 1];
      const endedByNewer =
        s.disconnectTime === undefined && next !== undefined && Date.parse(next.connectTime) <= opened;
      return endedByNewer ? { ...s, disconnectTime: next.connectTime } : s;
    });
  return { ...insight, subscriptions: subscriptions.slice(-MAX_SUBSCRIPTIONS) };
}

/**
 * A stream ended (a disconnect arriving before its connect records both). One ended because it was
 * `replaced` is counted once, also when the newer stream's connect already marked it ended.
 */
export function withDisconnected(
  insight: DataplaneInsightSpec,
  subscription: {
    id: string;
    controlPlaneInstanceId: string;
    connectTime: string;
    disconnectTime: string;
    reason?: StreamEndedReason;
  },
): DataplaneInsightSpec | undefined {
  const { reason, ...stream } = subscription;
  const existing = insight.subscriptions.find((s) => s.id === stream.id);
  const newReason = reason !== undefined && existing?.disconnectReason === undefined;
  if (existing?.disconnectTime !== undefined && !newReason) return undefined;
  const base = existing ? insight : (withConnected(insight, stream) ?? insight);
  const subscriptions = base.subscriptions.map((s) =>
    s.id === stream.id
      ? { ...s, disconnectTime: stream.disconnectTime, ...(reason ? { disconnectReason: reason } : {}) }
      : s,
  );
  // A stream too old to be listed any more is not counted again (its end was counted when it was listed).
  const counted = reason === 'replaced' && subscriptions.some((s) => s.id === stream.id);
  return {
    ...base,
    subscriptions,
    ...(counted
      ? {
          replacedStreams: (base.replacedStreams ?? 0) + 1,
          lastReplacedTime: latest(base.lastReplacedTime, stream.disconnectTime),
        }
      : {}),
  };
}

/** Online: its newest stream is open. */
export function isOnline(insight: DataplaneInsightSpec): boolean {
  const last = insight.subscriptions[insight.subscriptions.length - 1];
  return last !== undefined && last.disconnectTime === undefined;
}

/** The newest stream's start, or undefined when it never connected. */
export function lastConnected(insight: DataplaneInsightSpec): string | undefined {
  return insight.subscriptions[insight.subscriptions.length - 1]?.connectTime;
}

function latest(a: string | undefined, b: string): string {
  return a !== undefined && Date.parse(a) > Date.parse(b) ? a : b;
}
