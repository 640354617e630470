import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { DataplaneHub, IssuedIdentityVerifier } from '@meshtls/application';
import {
  addressedTo,
  dataplaneCertificateIssued,
  dataplaneConnection,
  rotateDataplane,
  type EventContract,
} from '@meshtls/contracts';
import { CLOCK, CORE_CONFIG, MESSAGE_BUS, type CoreConfig } from '@meshtls/nest-core';
import type { MessageBus, Subscription } from '@meshtls/bus';
import type { Clock } from '@meshtls/util';
import type { DataplaneGrpcServer } from './dataplane-grpc.server';
import type { DpServerConfig } from './dp-server.config';
import { loadDpServerTls } from './dp-server-tls';
import {
  DATAPLANE_GRPC_SERVER,
  DATAPLANE_HUB,
  DATAPLANE_INSTANCE,
  DP_SERVER_CONFIG,
  ISSUED_IDENTITY_VERIFIER,
} from './dataplanes.tokens';

/**
 * mesh-api's dataplane endpoint: starts the gRPC server, the hub's watch on Mesh/Dataplane changes, the
 * issued-identity verifier's watch on CA material, the hub's lease check and the rotate requests addressed to this replica; stops them at shutdown.
 */
@Injectable()
export class DataplaneStreamService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('dataplanes');
  private subscription?: Subscription;
  private stopWatch?: () => Promise<void>;
  private stopCaWatch?: () => void;
  private leaseCheck?: ReturnType<typeof setInterval>;
  /** Set as the server starts listening: one that never started has nothing to close. */
  private serverStarted = false;

  constructor(
    @Inject(DP_SERVER_CONFIG) private readonly config: DpServerConfig,
    @Inject(CORE_CONFIG) private readonly core: CoreConfig,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DATAPLANE_HUB) private readonly hub: DataplaneHub,
    @Inject(DATAPLANE_GRPC_SERVER) private readonly server: DataplaneGrpcServer,
    @Inject(ISSUED_IDENTITY_VERIFIER) private readonly verifier: IssuedIdentityVerifier,
    /** Changes on every start, so leases tell a restarted replica from the same one. */
    @Inject(DATAPLANE_INSTANCE) readonly instance: string,
  ) {}

  async onModuleInit(): Promise<void> {
    // What the stats-collector builds insights from is kept by the bus from the first event on, also
    // while no collector runs, and each announcement is confirmed (retried while NATS is away).
    await this.bus.retain([dataplaneCertificateIssued, dataplaneConnection] as EventContract<unknown>[]);
    const hub = this.hub;
    this.stopWatch = hub.followChanges();
    this.stopCaWatch = this.verifier.followChanges();
    // A lease store that lost its data (Redis restarted empty) gets the connected dataplanes' leases back;
    // a certificate that expired on a connected dataplane (nothing rotated it) is issued again at once.
    this.leaseCheck = setInterval(() => {
      void hub
        .restoreLostLeases()
        .then(({ restored, expired }) => {
          if (restored > 0) this.logger.warn(`restored ${restored} leases the lease store had lost`);
          if (expired > 0) this.logger.warn(`${expired} connected dataplanes hold an expired certificate`);
        })
        .catch((error: Error) => this.logger.warn(`lease check failed: ${error.message}`));
    }, this.config.leaseCheckMs);
    this.leaseCheck.unref();
    this.subscription = this.bus.serve(
      addressedTo(rotateDataplane, this.instance),
      (request) => hub.rotate(request),
      {
        queue: this.instance,
      },
    );
    const tls = loadDpServerTls(this.config, this.core.dataDir, this.clock.now());
    const address = this.config.address ?? this.core.http.address;
    this.serverStarted = true;
    const port = await this.server.listen(address, this.config.port, tls);
    const ca = tls.caFile ? ` (dataplanes trust ${tls.caFile})` : '';
    process.stdout.write(`dataplane server listening on grpcs://${address}:${port}${ca}\n`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.leaseCheck) clearInterval(this.leaseCheck);
    await this.stopWatch?.();
    this.stopCaWatch?.();
    await this.subscription?.unsubscribe().catch(() => undefined);
    if (this.serverStarted) await this.server.close();
  }
}
