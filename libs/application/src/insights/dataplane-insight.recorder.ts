import type { PayloadOf, dataplaneCertificateIssued, dataplaneConnection } from '@meshtls/contracts';
import {
  EMPTY_INSIGHT,
  ResourceAlreadyExistsError,
  ResourceConflictError,
  ResourceNotFoundError,
  ResourceType,
  withCertificateIssued,
  withCertificateWithdrawn,
  withConnected,
  withDisconnected,
  type DataplaneInsightSpec,
} from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';
import { insightKey } from '../shared/insight-key';

export type CertificateEvent = PayloadOf<typeof dataplaneCertificateIssued>;
export type ConnectionEvent = PayloadOf<typeof dataplaneConnection>;

/** Writes racing with another collector replica are retried this many times. */
const MAX_ATTEMPTS = 10;

/**
 * Keeps each dataplane's DataplaneInsight from the events of every mesh-api replica. Updates are
 * idempotent and order-free (see the insight rules), and each is a compare-and-set on the stored
 * version, so any number of collector replicas, and events delivered more than once, give one result.
 */
export class DataplaneInsightRecorder {
  constructor(private readonly store: ResourceStore) {}

  async onCertificate(event: CertificateEvent): Promise<void> {
    await this.update(event.mesh, event.dataplane, (insight) =>
      event.withdrawn
        ? withCertificateWithdrawn(insight)
        : withCertificateIssued(insight, {
            serial: event.serial,
            backend: event.backend,
            supportedBackends: event.supportedBackends,
            notBefore: event.notBefore,
            notAfter: event.notAfter,
            issuedAt: event.time,
          }),
    );
  }

  async onConnection(event: ConnectionEvent): Promise<void> {
    const subscription = {
      id: event.streamId,
      controlPlaneInstanceId: event.controlPlaneInstance,
      connectTime: event.connectTime,
    };
    await this.update(event.mesh, event.dataplane, (insight) =>
      event.kind === 'connected' || event.disconnectTime === undefined
        ? withConnected(insight, subscription)
        : withDisconnected(insight, {
            ...subscription,
            disconnectTime: event.disconnectTime,
            ...(event.endReason ? { reason: event.endReason } : {}),
          }),
    );
  }

  /** A Dataplane was deleted: its insight goes with it. */
  async onDataplaneDeleted(mesh: string, name: string): Promise<void> {
    await this.store.delete(insightKey(mesh, name)).catch((error: unknown) => {
      if (!(error instanceof ResourceNotFoundError)) throw error;
    });
  }

  private async update(
    mesh: string,
    name: string,
    change: (insight: DataplaneInsightSpec) => DataplaneInsightSpec | undefined,
  ): Promise<void> {
    const key = insightKey(mesh, name);
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.get(key);
      const next = change((current?.spec as DataplaneInsightSpec | undefined) ?? EMPTY_INSIGHT);
      if (next === undefined) return;
      try {
        if (current) {
          await this.store.update(key, next, current.meta.version);
        } else {
          // No insight for a dataplane that is gone (an event arriving after its deletion).
          if (!(await this.store.get({ type: ResourceType.Dataplane, mesh, name }))) return;
          await this.store.create(key, next);
        }
        return;
      } catch (error) {
        const raced = error instanceof ResourceConflictError || error instanceof ResourceAlreadyExistsError;
        if (!raced || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}
