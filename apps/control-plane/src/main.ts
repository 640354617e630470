import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import { caSignerModules } from '@meshtls/nest-ca-signer';
import { allowedMethods, meshApiModules } from '@meshtls/nest-mesh-api';
import { rotationSchedulerModules } from '@meshtls/nest-rotation-scheduler';
import { StatsCollectorModule } from '@meshtls/nest-stats-collector';

/** Standalone control plane: every role in one process, embedded store, in-process bus. */
void runProcess({
  label: 'control plane (standalone)',
  name: 'control-plane',
  roles: ['mesh-api', 'ca-signer', 'rotation-scheduler', 'stats-collector'],
  modules: (env) => [
    ...meshApiModules(env),
    ...caSignerModules(env),
    ...rotationSchedulerModules(env),
    StatsCollectorModule,
  ],
  defaultMode: 'standalone',
  defaultPort: 5681,
  allowedMethods,
});
