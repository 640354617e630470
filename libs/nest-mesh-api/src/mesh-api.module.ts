import { Module } from '@nestjs/common';
import {
  ApplyResourceUseCase,
  BusMeshCaGateway,
  CaSwitchPlanner,
  CaughtUpStore,
  DataplaneTokenService,
  DeleteResourceUseCase,
  InsightQueries,
  MtlsKeySeal,
  ResourceQueries,
  readCaAnchors,
  type MeshCaGateway,
} from '@meshtls/application';
import {
  CLOCK,
  CORE_CONFIG,
  MESSAGE_BUS,
  RESOURCE_STORE,
  SECRET_CIPHER,
  type CoreConfig,
} from '@meshtls/nest-core';
import type { MessageBus } from '@meshtls/bus';
import type { ResourceStore, SecretEncryption } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import type { AccessSettings } from './access/access-policy';
import { KumaPathsController } from './index/kuma-paths.controller';
import { InsightsController } from './insights/insights.controller';
import {
  ACCESS_SETTINGS,
  API_STORE,
  APPLY_RESOURCE,
  DATAPLANE_TOKENS,
  DELETE_RESOURCE,
  MESH_CA_GATEWAY,
  RESOURCE_QUERIES,
} from './mesh-api.tokens';
import { ResourceHttpService } from './resources/resource-http.service';
import { ResourcesController } from './resources/resources.controller';
import { TokenHttpService } from './tokens/token-http.service';
import { TokensController } from './tokens/tokens.controller';

/**
 * The mesh-api role: the resource REST API. Needs CoreModule (stores, config) in the same application.
 * Every object is built by a factory provider from the ones it needs, as in the other role modules.
 */
@Module({
  controllers: [InsightsController, ResourcesController, TokensController, KumaPathsController],
  providers: [
    {
      provide: ACCESS_SETTINGS,
      inject: [CORE_CONFIG],
      useFactory: (config: CoreConfig): AccessSettings => ({
        mode: config.mode,
        adminToken: config.adminToken,
      }),
    },
    {
      provide: MESH_CA_GATEWAY,
      inject: [MESSAGE_BUS, SECRET_CIPHER],
      useFactory: (bus: MessageBus, cipher: SecretEncryption) =>
        new BusMeshCaGateway(bus, new MtlsKeySeal(cipher)),
    },
    {
      // What every API request reads through (see CaughtUpStore).
      provide: API_STORE,
      inject: [RESOURCE_STORE],
      useFactory: (store: ResourceStore) => new CaughtUpStore(store),
    },
    {
      provide: RESOURCE_QUERIES,
      inject: [API_STORE],
      useFactory: (store: ResourceStore) => new ResourceQueries(store),
    },
    {
      provide: APPLY_RESOURCE,
      inject: [API_STORE, MESH_CA_GATEWAY, CLOCK],
      useFactory: (store: ResourceStore, ca: MeshCaGateway, clock: Clock) =>
        new ApplyResourceUseCase(
          store,
          ca,
          undefined,
          new CaSwitchPlanner(store, readCaAnchors(store), clock),
        ),
    },
    {
      provide: DELETE_RESOURCE,
      inject: [API_STORE],
      useFactory: (store: ResourceStore) => new DeleteResourceUseCase(store),
    },
    {
      provide: ResourceHttpService,
      inject: [ACCESS_SETTINGS, RESOURCE_QUERIES, APPLY_RESOURCE, DELETE_RESOURCE],
      useFactory: (
        access: AccessSettings,
        queries: ResourceQueries,
        apply: ApplyResourceUseCase,
        remove: DeleteResourceUseCase,
      ) => new ResourceHttpService(access, queries, apply, remove),
    },
    {
      provide: InsightQueries,
      inject: [API_STORE, MESSAGE_BUS, CLOCK],
      useFactory: (store: ResourceStore, bus: MessageBus, clock: Clock) =>
        new InsightQueries(store, bus, () => clock.now()),
    },
    {
      provide: DATAPLANE_TOKENS,
      inject: [API_STORE, CLOCK],
      useFactory: (store: ResourceStore, clock: Clock) => new DataplaneTokenService(store, clock),
    },
    {
      provide: TokenHttpService,
      inject: [ACCESS_SETTINGS, DATAPLANE_TOKENS],
      useFactory: (access: AccessSettings, tokens: DataplaneTokenService) =>
        new TokenHttpService(access, tokens),
    },
  ],
})
export class MeshApiModule {}
