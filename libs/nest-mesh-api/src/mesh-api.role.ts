import type { RoleModules } from '@meshtls/nest-core';
import { DataplaneEndpointModule } from './dataplanes/dataplanes.module';
import { loadDpServerConfig } from './dataplanes/dp-server.config';
import { MeshApiModule } from './mesh-api.module';

/** The mesh-api role's modules: the HTTP API, and the dataplane endpoint configured from the environment. */
export const meshApiModules: RoleModules = (env) => [
  MeshApiModule,
  DataplaneEndpointModule.forRoot(loadDpServerConfig(env)),
];
