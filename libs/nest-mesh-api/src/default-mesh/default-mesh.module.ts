import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { EnsureDefaultMeshUseCase } from '@meshtls/application';
import { RESOURCE_STORE, configuredModule } from '@meshtls/nest-core';
import type { ResourceStore } from '@meshtls/store';
import type { DefaultMeshConfig } from './default-mesh.config';
import { DefaultMeshStarter } from './default-mesh.starter';

export const DEFAULT_MESH_CONFIG = Symbol('DefaultMeshConfig');

const logger = new Logger('defaults');

/** mesh-api's `default` mesh, made on start unless MESH_SKIP_DEFAULT_MESH. Needs CoreModule. */
@Module({})
export class DefaultMeshModule {
  static forRoot(config: DefaultMeshConfig): DynamicModule {
    return configuredModule(DefaultMeshModule, DEFAULT_MESH_CONFIG, config, [
      {
        provide: DefaultMeshStarter,
        inject: [RESOURCE_STORE],
        useFactory: (store: ResourceStore) => {
          const useCase = new EnsureDefaultMeshUseCase(store);
          return new DefaultMeshStarter(() => useCase.execute(), config, {
            info: (m) => logger.log(m),
            warn: (m) => logger.warn(m),
            error: (m) => logger.error(m),
          });
        },
      },
    ]);
  }
}
