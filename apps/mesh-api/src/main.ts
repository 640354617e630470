import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import {
  DataplaneEndpointModule,
  MeshApiModule,
  allowedMethods,
  loadDpServerConfig,
} from '@meshtls/nest-mesh-api';

void runProcess({
  label: 'mesh-api',
  name: 'mesh-api',
  roles: ['mesh-api'],
  modules: (env) => [MeshApiModule, DataplaneEndpointModule.forRoot(loadDpServerConfig(env))],
  defaultMode: 'distributed',
  defaultPort: 5681,
  allowedMethods,
});
