import { randomBytes } from 'node:crypto';
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import {
  DataplaneHub,
  DataplaneTokenService,
  IssuedIdentityVerifier,
  tokenAllows,
  type DataplaneAuthorizer,
  type DataplaneTokenVerifier,
  type IdentityIssuer,
} from '@meshtls/application';
import {
  CLOCK,
  CORE_CONFIG,
  LEASE_STORE,
  MESSAGE_BUS,
  METRICS,
  RESOURCE_STORE,
  configuredModule,
  type CoreConfig,
} from '@meshtls/nest-core';
import type { MessageBus } from '@meshtls/bus';
import type { LeaseStore, ResourceStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import type { Registry } from 'prom-client';
import { DataplaneGrpcServer } from './dataplane-grpc.server';
import { verifiedIssuer } from './dataplane-issuer';
import { dataplaneGauges, dataplaneMetrics, type DataplaneMetrics } from './dataplane-metrics';
import { DataplaneStreamService } from './dataplane-stream.service';
import type { DpServerConfig } from './dp-server.config';
import {
  DATAPLANE_AUTHORIZER,
  DATAPLANE_GAUGES,
  DATAPLANE_GRPC_SERVER,
  DATAPLANE_HUB,
  DATAPLANE_INSTANCE,
  DATAPLANE_METRICS,
  DATAPLANE_TOKEN_VERIFIER,
  DP_SERVER_CONFIG,
  IDENTITY_ISSUER,
  ISSUED_IDENTITY_VERIFIER,
} from './dataplanes.tokens';

const logger = new Logger('dataplanes');
const log = (level: 'info' | 'warn' | 'debug', message: string) =>
  logger[level === 'info' ? 'log' : level](message);

/**
 * mesh-api's dataplane endpoint (gRPC over TLS): admits dataplanes with their tokens, hands out and
 * rotates their certificates. Needs CoreModule in the same application.
 */
@Module({})
export class DataplaneEndpointModule {
  static forRoot(config: DpServerConfig): DynamicModule {
    return configuredModule(
      DataplaneEndpointModule,
      DP_SERVER_CONFIG,
      config,
      [
        {
          provide: DATAPLANE_INSTANCE,
          inject: [CORE_CONFIG],
          useFactory: (core: CoreConfig) => `${core.instanceId}@${randomBytes(6).toString('hex')}`,
        },
        {
          provide: DATAPLANE_TOKEN_VERIFIER,
          inject: [RESOURCE_STORE, CLOCK],
          useFactory: (store: ResourceStore, clock: Clock) => new DataplaneTokenService(store, clock),
        },
        { provide: DATAPLANE_AUTHORIZER, useValue: tokenAllows },
        { provide: DATAPLANE_METRICS, inject: [METRICS], useFactory: dataplaneMetrics },
        {
          provide: ISSUED_IDENTITY_VERIFIER,
          inject: [RESOURCE_STORE, CLOCK],
          useFactory: (store: ResourceStore, clock: Clock) => new IssuedIdentityVerifier(store, clock),
        },
        {
          provide: IDENTITY_ISSUER,
          inject: [MESSAGE_BUS, ISSUED_IDENTITY_VERIFIER, DATAPLANE_METRICS],
          useFactory: (bus: MessageBus, verifier: IssuedIdentityVerifier, metrics: DataplaneMetrics) =>
            verifiedIssuer(config, bus, verifier, metrics, logger),
        },
        {
          provide: DATAPLANE_HUB,
          inject: [
            DATAPLANE_INSTANCE,
            RESOURCE_STORE,
            LEASE_STORE,
            MESSAGE_BUS,
            IDENTITY_ISSUER,
            DATAPLANE_TOKEN_VERIFIER,
            DATAPLANE_AUTHORIZER,
            CLOCK,
            DATAPLANE_METRICS,
          ],
          useFactory: (
            instance: string,
            store: ResourceStore,
            leases: LeaseStore,
            bus: MessageBus,
            issuer: IdentityIssuer,
            tokens: DataplaneTokenVerifier,
            authorize: DataplaneAuthorizer,
            clock: Clock,
            metrics: DataplaneMetrics,
          ) =>
            new DataplaneHub({
              store,
              leases,
              bus,
              issuer,
              tokens,
              authorize,
              clock,
              instance,
              csrTimeoutMs: config.csrTimeoutMs,
              issuanceLimit: config.issuanceLimit,
              caSwitch: {
                ackTimeoutMs: config.caSwitchAckTimeoutMs,
                alertAfterMs: config.caSwitchAlertAfterMs,
              },
              log,
              observer: metrics,
            }),
        },
        {
          // Nothing injects it: it registers the hub's gauges when the module is built.
          provide: DATAPLANE_GAUGES,
          inject: [METRICS, DATAPLANE_HUB],
          useFactory: (registry: Registry, hub: DataplaneHub) => dataplaneGauges(registry, hub),
        },
        {
          provide: DATAPLANE_GRPC_SERVER,
          inject: [DATAPLANE_HUB],
          useFactory: (hub: DataplaneHub) =>
            new DataplaneGrpcServer(hub, log, {
              keepalive: { timeMs: config.keepaliveTimeMs, timeoutMs: config.keepaliveTimeoutMs },
              helloTimeoutMs: config.helloTimeoutMs,
              maxStreamsPerConnection: config.maxStreamsPerConnection,
            }),
        },
        DataplaneStreamService,
      ],
      [DataplaneStreamService],
    );
  }
}
