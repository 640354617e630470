import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import { CaSignerModule, loadCaSignerConfig } from '@meshtls/nest-ca-signer';
import {
  DataplaneEndpointModule,
  MeshApiModule,
  allowedMethods,
  loadDpServerConfig,
} from '@meshtls/nest-mesh-api';
import { RotationSchedulerModule, loadRotationSchedulerConfig } from '@meshtls/nest-rotation-scheduler';
import { StatsCollectorModule } from '@meshtls/nest-stats-collector';

/** Standalone control plane: every role in one process, embedded store, in-process bus. */
void runProcess({
  label: 'control plane (standalone)',
  name: 'control-plane',
  roles: ['mesh-api', 'ca-signer', 'rotation-scheduler', 'stats-collector'],
  modules: (env) => [
    MeshApiModule,
    DataplaneEndpointModule.forRoot(loadDpServerConfig(env)),
    CaSignerModule.forRoot(loadCaSignerConfig(env)),
    RotationSchedulerModule.forRoot(loadRotationSchedulerConfig(env)),
    StatsCollectorModule,
  ],
  defaultMode: 'standalone',
  defaultPort: 5681,
  allowedMethods,
});
