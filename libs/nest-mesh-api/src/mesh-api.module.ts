import { Module } from '@nestjs/common';
import {
  ApplyResourceUseCase,
  BusMeshCaGateway,
  MtlsKeySeal,
  DeleteResourceUseCase,
  InsightQueries,
  ResourceQueries,
} from '@meshtls/application';
import { CORE_CONFIG, MESSAGE_BUS, RESOURCE_STORE, SECRET_CIPHER, type CoreConfig } from '@meshtls/nest-core';
import type { MessageBus, ResourceStore, SecretCipher } from '@meshtls/store';
import { InsightsController } from './insights/insights.controller';
import { ResourceHttpService } from './resources/resource-http.service';
import { ResourcesController } from './resources/resources.controller';
import { tokenHttpServiceProvider } from './tokens/token-http.service';
import { TokensController } from './tokens/tokens.controller';

/** The mesh-api role: the resource REST API. Needs CoreModule (stores, config) in the same application. */
@Module({
  controllers: [InsightsController, ResourcesController, TokensController],
  providers: [
    {
      provide: ResourceHttpService,
      inject: [CORE_CONFIG, RESOURCE_STORE, MESSAGE_BUS, SECRET_CIPHER],
      useFactory: (config: CoreConfig, store: ResourceStore, bus: MessageBus, cipher: SecretCipher) =>
        new ResourceHttpService(
          { mode: config.mode, adminToken: config.adminToken },
          new ResourceQueries(store),
          new ApplyResourceUseCase(store, new BusMeshCaGateway(bus, new MtlsKeySeal(cipher))),
          new DeleteResourceUseCase(store),
        ),
    },
    {
      provide: InsightQueries,
      inject: [RESOURCE_STORE, MESSAGE_BUS],
      useFactory: (store: ResourceStore, bus: MessageBus) => new InsightQueries(store, bus),
    },
    tokenHttpServiceProvider,
  ],
})
export class MeshApiModule {}
