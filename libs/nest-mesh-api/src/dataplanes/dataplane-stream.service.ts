import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  BusIdentityIssuer,
  DataplaneHub,
  IssuedIdentityVerifier,
  VerifyingIdentityIssuer,
  type DataplaneAuthorizer,
  type IdentityIssuer,
  type DataplaneTokenVerifier,
} from '@meshtls/application';
import {
  addressedTo,
  dataplaneCertificateIssued,
  dataplaneConnection,
  rotateDataplane,
  type EventContract,
} from '@meshtls/contracts';
import {
  CLOCK,
  CORE_CONFIG,
  LEASE_STORE,
  MESSAGE_BUS,
  METRICS,
  RESOURCE_STORE,
  type CoreConfig,
} from '@meshtls/nest-core';
import type { Registry } from 'prom-client';
import type { LeaseStore, MessageBus, ResourceStore, Subscription } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import { DataplaneGrpcServer } from './dataplane-grpc.server';
import { dataplaneMetrics } from './dataplane-metrics';
import type { DpServerConfig } from './dp-server.config';
import { loadDpServerTls } from './dp-server-tls';
import { DATAPLANE_AUTHORIZER, DATAPLANE_TOKEN_VERIFIER, DP_SERVER_CONFIG } from './dataplanes.tokens';

/**
 * mesh-api's dataplane endpoint: the gRPC server, the hub of connected dataplanes, the rotate requests
 * addressed to this replica, and the watch on Mesh/Dataplane changes.
 */
@Injectable()
export class DataplaneStreamService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('dataplanes');
  /** Changes on every start, so leases tell a restarted replica from the same one. */
  readonly instance: string;
  private hub?: DataplaneHub;
  private server?: DataplaneGrpcServer;
  private subscription?: Subscription;
  private stopWatch?: () => void;
  private leaseCheck?: ReturnType<typeof setInterval>;

  constructor(
    @Inject(DP_SERVER_CONFIG) private readonly config: DpServerConfig,
    @Inject(CORE_CONFIG) private readonly core: CoreConfig,
    @Inject(RESOURCE_STORE) private readonly store: ResourceStore,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DATAPLANE_TOKEN_VERIFIER) private readonly tokens: DataplaneTokenVerifier,
    @Inject(DATAPLANE_AUTHORIZER) private readonly authorize: DataplaneAuthorizer,
    @Inject(METRICS) private readonly metrics: Registry,
  ) {
    this.instance = `${core.instanceId}@${randomBytes(6).toString('hex')}`;
  }

  /** ca-signer over the bus, each answer checked against this replica's store before it is forwarded. */
  private verifiedIssuer(metrics: ReturnType<typeof dataplaneMetrics>): IdentityIssuer {
    const bus = new BusIdentityIssuer(this.bus, {
      maxInFlight: this.config.maxIssuesInFlight,
      attemptTimeoutMs: this.config.issueAttemptTimeoutMs,
      onRetry: (cause) => metrics.retried(cause),
    });
    return new VerifyingIdentityIssuer(
      (command) => bus.sign(command),
      new IssuedIdentityVerifier(this.store, this.clock),
      (error) => {
        this.logger.warn(error.message);
        metrics.rejected(error.mesh);
      },
    );
  }

  async onModuleInit(): Promise<void> {
    // What the stats-collector builds insights from is kept by the bus from the first event on, also
    // while no collector runs, and each announcement is confirmed (retried while NATS is away).
    await this.bus.retain([dataplaneCertificateIssued, dataplaneConnection] as EventContract<unknown>[]);
    const log = (level: 'info' | 'warn' | 'debug', message: string) =>
      this.logger[level === 'info' ? 'log' : level](message);
    const metrics = dataplaneMetrics(
      this.metrics,
      () => this.hub?.connected ?? 0,
      () => this.hub?.trafficWithheld ?? 0,
    );
    this.hub = new DataplaneHub({
      store: this.store,
      leases: this.leases,
      bus: this.bus,
      issuer: this.verifiedIssuer(metrics),
      tokens: this.tokens,
      authorize: this.authorize,
      clock: this.clock,
      instance: this.instance,
      csrTimeoutMs: this.config.csrTimeoutMs,
      issuanceLimit: this.config.issuanceLimit,
      log,
      observer: metrics,
    });
    const hubRef = this.hub;
    this.stopWatch = this.hub.followChanges();
    // A lease store that lost its data (Redis restarted empty) gets the connected dataplanes' leases back;
    // a certificate that expired on a connected dataplane (nothing rotated it) is issued again at once.
    this.leaseCheck = setInterval(() => {
      void hubRef
        .restoreLostLeases()
        .then(({ restored, expired }) => {
          if (restored > 0) this.logger.warn(`restored ${restored} leases the lease store had lost`);
          if (expired > 0) this.logger.warn(`${expired} connected dataplanes hold an expired certificate`);
        })
        .catch((error: Error) => this.logger.warn(`lease check failed: ${error.message}`));
    }, this.config.leaseCheckMs);
    this.leaseCheck.unref();
    const hub = this.hub;
    this.subscription = this.bus.serve(
      addressedTo(rotateDataplane, this.instance),
      (request) => hub.rotate(request),
      {
        queue: this.instance,
      },
    );
    const tls = loadDpServerTls(this.config, this.core.dataDir, this.clock.now());
    this.server = new DataplaneGrpcServer(this.hub, log);
    const address = this.config.address ?? this.core.http.address;
    const port = await this.server.listen(address, this.config.port, tls);
    const ca = tls.caFile ? ` (dataplanes trust ${tls.caFile})` : '';
    process.stdout.write(`dataplane server listening on grpcs://${address}:${port}${ca}\n`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.leaseCheck) clearInterval(this.leaseCheck);
    this.stopWatch?.();
    await this.subscription?.unsubscribe().catch(() => undefined);
    await this.server?.close();
  }
}
