import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import { allowedMethods, meshApiModules } from '@meshtls/nest-mesh-api';

void runProcess({
  label: 'mesh-api',
  name: 'mesh-api',
  roles: ['mesh-api'],
  modules: meshApiModules,
  defaultMode: 'distributed',
  defaultPort: 5681,
  allowedMethods,
});
