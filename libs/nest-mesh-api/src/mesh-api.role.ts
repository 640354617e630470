import type { RoleModules } from '@meshtls/nest-core';
import { DefaultMeshModule } from './default-mesh/default-mesh.module';
import { loadDefaultMeshConfig } from './default-mesh/default-mesh.config';
import { DataplaneEndpointModule } from './dataplanes/dataplanes.module';
import { loadDpServerConfig } from './dataplanes/dp-server.config';
import { ControlPlaneIndexModule } from './index/index.module';
import { MeshApiModule } from './mesh-api.module';

/**
 * The mesh-api role's modules: the HTTP API and its index, the dataplane endpoint, and the default mesh,
 * each configured from the environment.
 */
export const meshApiModules: RoleModules = (env) => {
  const dpServer = loadDpServerConfig(env);
  const defaultMesh = loadDefaultMeshConfig(env);
  return [
    MeshApiModule,
    ControlPlaneIndexModule.forRoot({ dpServer, defaultMesh }),
    DataplaneEndpointModule.forRoot(dpServer),
    DefaultMeshModule.forRoot(defaultMesh),
  ];
};
