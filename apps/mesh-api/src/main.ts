import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import { MeshApiModule, allowedMethods } from '@meshtls/nest-mesh-api';

void runProcess({
  label: 'mesh-api',
  name: 'mesh-api',
  roles: ['mesh-api'],
  modules: [MeshApiModule],
  defaultMode: 'distributed',
  defaultPort: 5681,
  allowedMethods,
});
