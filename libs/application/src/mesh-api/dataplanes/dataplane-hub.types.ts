import type { IssueReason } from '@meshtls/contracts';
import type { IssuanceLimit } from '@meshtls/domain';
import type { MessageBus } from '@meshtls/bus';
import type { LeaseStore, ResourceStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import type { CaSwitchObserver, CaSwitchOptions } from './ca-switch.coordinator';
import type { DataplaneAuthorizer } from './connect-dataplane';
import type { DataplaneTokenVerifier } from './dataplane-token.port';
import type { IdentityIssuer } from './identity-issuer';

/** Where the hub and its parts write their log lines. */
export type HubLog = (level: 'info' | 'warn' | 'debug', message: string) => void;

/** What asked for a certificate beyond the dataplane's rate, and what became of it. */
export type LimitedIssuance = {
  mesh: string;
  reason: IssueReason;
  /** `refused`: connect and rotate requests (asked again later); `delayed`: mesh and tag changes. */
  outcome: 'refused' | 'delayed';
};

export interface HubObserver extends CaSwitchObserver {
  issued(event: { mesh: string; backend: string; reason: IssueReason; seconds: number }): void;
  failed(event: { mesh: string; reason: IssueReason; error: Error }): void;
  /** A rotate request was refused: it named another certificate than the one held, or one not due yet. */
  rotationRefused?(event: { mesh: string; reason: 'stale' | 'not-due' }): void;
  /** An issuance asked beyond the dataplane's issuance rate. */
  issuanceLimited?(event: LimitedIssuance): void;
  /** A traffic message was not sent: the stream could not carry it (too large for its schema). */
  trafficRefused?(event: { mesh: string }): void;
  /** A store change could not be applied to the connected dataplanes (logged; the hub goes on). */
  changeFailed?(event: { type: string; error: Error }): void;
  /** A dataplane asked for a new certificate itself: honoured (its certificate was due) or ignored. */
  renewalRequested?(event: { mesh: string; honoured: boolean }): void;
}

export interface DataplaneHubDeps {
  readonly store: ResourceStore;
  readonly leases: LeaseStore;
  readonly bus: MessageBus;
  readonly issuer: IdentityIssuer;
  readonly tokens: DataplaneTokenVerifier;
  readonly authorize: DataplaneAuthorizer;
  readonly clock: Clock;
  /** This replica as leases name it: `{instanceId}@{bootId}`, so a restart is told from a reconnect. */
  readonly instance: string;
  readonly csrTimeoutMs?: number;
  /** How long changes are gathered before traffic messages go out (one message per burst of changes). */
  readonly trafficDebounceMs?: number;
  readonly log?: HubLog;
  /** Told of every issuance (for metrics). */
  readonly observer?: HubObserver;
  /**
   * How many certificates one dataplane may be issued, whatever asks (rotation, reconnects, restarts,
   * mesh and tag changes); unlimited without. Per replica.
   */
  readonly issuanceLimit?: IssuanceLimit;
  /** CA switches: how long dataplanes are given to acknowledge, when a switch counts as stuck. */
  readonly caSwitch?: CaSwitchOptions;
  /** Waits (a change's issuance waiting for the dataplane's rate); tests move a fake clock instead. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export type RotateOutcome = {
  status: 'rotated' | 'not-connected' | 'stale' | 'not-due' | 'rate-limited' | 'failed';
  detail?: string;
  retryAfterMs?: number;
};
