import { caSwitchAcknowledged, type CaSwitchSpec } from '@meshtls/domain';
import type { Clock } from '@meshtls/util';
import type { CaSwitchObserver } from './ca-switch.coordinator';
import type { DataplaneSession } from './dataplane-session';
import type { HubLog } from './dataplane-hub.types';

/** A mesh's switch in progress as a replica follows it (for the watchdog, metrics and the alert). */
export interface PendingCaSwitch {
  readonly mesh: string;
  readonly spec: CaSwitchSpec;
  readonly pendingSeconds: number;
  readonly stuck: boolean;
}

export interface CaSwitchWatchdogDeps {
  readonly clock: Clock;
  readonly ackTimeoutMs: number;
  /** The sessions of a mesh connected here. */
  readonly sessionsOf: (mesh: string) => readonly DataplaneSession[];
  readonly endStream: (session: DataplaneSession, message: string) => void;
  readonly log?: HubLog;
  readonly observer?: CaSwitchObserver;
}

/**
 * What keeps a switch from hanging: a dataplane here that has not acknowledged what the switch's state
 * waits for within the timeout (counted from when this replica first saw that state, or from the
 * dataplane's connection if later) has its stream ended, so it reconnects and is given the current bundle
 * and certificate; a switch pending past the alert threshold is logged once.
 */
export class CaSwitchWatchdog {
  /** When this replica first saw each switch in each state (`{mesh}/{id}/{state}`). */
  private readonly seenAt = new Map<string, number>();
  /** Switches already reported stuck. */
  private readonly stuckLogged = new Set<string>();

  constructor(private readonly deps: CaSwitchWatchdogDeps) {}

  check(switches: readonly PendingCaSwitch[]): void {
    for (const sw of switches) this.endStalled(sw.mesh, sw.spec);
    for (const sw of switches) this.logStuck(sw);
  }

  private endStalled(mesh: string, sw: CaSwitchSpec): void {
    const now = this.deps.clock.now().getTime();
    const stateKey = `${mesh}/${sw.id}/${sw.state}`;
    let since = this.seenAt.get(stateKey);
    if (since === undefined) {
      for (const key of this.seenAt.keys()) if (key.startsWith(`${mesh}/`)) this.seenAt.delete(key);
      since = now;
      this.seenAt.set(stateKey, since);
    }
    for (const session of this.deps.sessionsOf(mesh)) {
      if (session.closed || caSwitchAcknowledged(sw, session.caAcks)) continue;
      const waited = now - Math.max(since, Date.parse(session.connectTime));
      if (waited <= this.deps.ackTimeoutMs) continue;
      const what =
        sw.state === 'waiting-for-bundle'
          ? `the trust bundle with "${sw.to}"'s CA`
          : `a certificate from "${sw.to}"`;
      this.deps.log?.(
        'warn',
        `${session.key}: did not acknowledge ${what} within ${Math.round(this.deps.ackTimeoutMs / 1000)} s of the CA switch; its stream is ended so it reconnects`,
      );
      this.deps.observer?.caSwitchStreamEnded?.({ mesh });
      this.deps.endStream(
        session,
        `the CA switch of mesh "${mesh}" waited ${Math.round(waited / 1000)} s for this dataplane to acknowledge ${what}`,
      );
    }
  }

  private logStuck(p: PendingCaSwitch): void {
    const key = `${p.mesh}/${p.spec.id}`;
    if (!p.stuck || this.stuckLogged.has(key)) return;
    this.stuckLogged.add(key);
    this.deps.log?.(
      'warn',
      `CA switch of mesh "${p.mesh}" to "${p.spec.to}" has been pending for ${Math.round(p.pendingSeconds)} s (state ${p.spec.state}); see GET /mesh-insights/${p.mesh}`,
    );
  }
}
