import { Module } from '@nestjs/common';
import { ApplyResourceUseCase, DeleteResourceUseCase, ResourceQueries } from '@meshtls/application';
import { CORE_CONFIG, RESOURCE_STORE, type CoreConfig } from '@meshtls/nest-core';
import type { ResourceStore } from '@meshtls/store';
import { ResourceHttpService } from './resources/resource-http.service';
import { ResourcesController } from './resources/resources.controller';

/** The mesh-api role: the resource REST API. Needs CoreModule (stores, config) in the same application. */
@Module({
  controllers: [ResourcesController],
  providers: [
    {
      provide: ResourceHttpService,
      inject: [CORE_CONFIG, RESOURCE_STORE],
      useFactory: (config: CoreConfig, store: ResourceStore) =>
        new ResourceHttpService(
          { mode: config.mode, adminToken: config.adminToken },
          new ResourceQueries(store),
          new ApplyResourceUseCase(store),
          new DeleteResourceUseCase(store),
        ),
    },
  ],
})
export class MeshApiModule {}
