import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { DataplaneInsightRecorder, CertificateEvent, ConnectionEvent } from '@meshtls/application';
import { dataplaneCertificateIssued, dataplaneConnection, type EventContract } from '@meshtls/contracts';
import { ResourceType } from '@meshtls/domain';
import { MESSAGE_BUS, RESOURCE_STORE } from '@meshtls/nest-core';
import type { Counter } from 'prom-client';
import type { MessageBus, Subscription } from '@meshtls/bus';
import type { ResourceStore } from '@meshtls/store';
import { INSIGHT_RECORDER, STATS_EVENTS_COUNTER } from './stats-collector.tokens';

/**
 * Turns the mesh-api replicas' events into DataplaneInsights: certificates issued or withdrawn, streams
 * opened or ended. Replicas share the work through one durable consumer group (JetStream when
 * distributed): each event is handled at least once, and each update is idempotent and a
 * compare-and-set, so replicas never lose or double an update between them.
 */
@Injectable()
export class StatsCollectorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('stats');
  private readonly subscriptions: Subscription[] = [];
  private unwatch?: () => void;

  constructor(
    @Inject(RESOURCE_STORE) private readonly store: ResourceStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(INSIGHT_RECORDER) private readonly recorder: DataplaneInsightRecorder,
    @Inject(STATS_EVENTS_COUNTER) private readonly events: Counter<'event'>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Durable: an event a dying replica did not finish goes to another one; a failed update comes again.
    this.subscriptions.push(
      await this.bus.consume(
        [dataplaneCertificateIssued, dataplaneConnection] as EventContract<unknown>[],
        'stats-collector',
        async (contract, event) => {
          if (contract === dataplaneCertificateIssued) {
            await this.recorder.onCertificate(event as CertificateEvent);
            this.events.inc({ event: 'certificate' });
          } else {
            await this.recorder.onConnection(event as ConnectionEvent);
            this.events.inc({ event: 'connection' });
          }
        },
      ),
    );
    this.unwatch = this.store.watch((change) => {
      if (change.kind === 'delete' && change.key.type === ResourceType.Dataplane && change.key.mesh) {
        void this.guard(this.recorder.onDataplaneDeleted(change.key.mesh, change.key.name));
      }
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unwatch?.();
    await Promise.all(this.subscriptions.map((s) => s.unsubscribe()));
  }

  private guard(work: Promise<void>): Promise<void> {
    return work.catch((error: Error) => this.logger.warn(`insight not updated: ${error.message}`));
  }
}
