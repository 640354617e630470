import { dataplaneCertificateIssued, dataplaneConnection } from '@meshtls/contracts';
import type { MessageBus } from '@meshtls/bus';
import type { Clock } from '@meshtls/util';
import type { DataplaneSession } from './dataplane-session';

/**
 * Tells every replica and observer (the stats-collector) what happened to this replica's dataplanes: a
 * stream opened or ended, a certificate was issued or withdrawn. A failed publish is logged, never
 * thrown: the dataplane is served either way.
 */
export class DataplaneAnnouncer {
  constructor(
    private readonly deps: {
      bus: MessageBus;
      clock: Clock;
      instance: string;
      log?: (level: 'warn', message: string) => void;
    },
  ) {}

  /**
   * A stream opened or ended (each stream's end is told once, however it ended); `endReason`: it was
   * ended because a newer stream of the dataplane took over.
   */
  connection(session: DataplaneSession, kind: 'connected' | 'disconnected', endReason?: 'replaced'): void {
    if (kind === 'disconnected') {
      if (session.endAnnounced) return;
      session.endAnnounced = true;
    }
    void this.deps.bus
      .publish(dataplaneConnection, {
        mesh: session.mesh,
        dataplane: session.name,
        streamId: session.streamId,
        controlPlaneInstance: this.deps.instance,
        kind,
        connectTime: session.connectTime,
        ...(kind === 'disconnected' ? { disconnectTime: this.deps.clock.now().toISOString() } : {}),
        ...(kind === 'disconnected' && endReason ? { endReason } : {}),
      })
      .catch((error: Error) =>
        this.deps.log?.('warn', `${session.key}: ${kind} not announced: ${error.message}`),
      );
  }

  /** This dataplane holds a certificate now (`serial` …), or no longer (`withdrawn`). */
  async certificate(
    session: DataplaneSession,
    what: {
      reason: string;
      withdrawn: boolean;
      serial?: string;
      backend?: string;
      notBefore?: string;
      notAfter?: string;
      supportedBackends?: readonly string[];
    },
  ): Promise<void> {
    await this.deps.bus
      .publish(dataplaneCertificateIssued, {
        mesh: session.mesh,
        dataplane: session.name,
        serial: what.serial ?? '',
        reason: what.reason,
        backend: what.backend ?? '',
        notBefore: what.notBefore ?? '',
        notAfter: what.notAfter ?? '',
        supportedBackends: [...(what.supportedBackends ?? [])],
        time: this.deps.clock.now().toISOString(),
        controlPlaneInstance: this.deps.instance,
        withdrawn: what.withdrawn,
      })
      .catch((error: Error) =>
        this.deps.log?.('warn', `${session.key}: issuance not announced: ${error.message}`),
      );
  }
}
