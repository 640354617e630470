import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import { RotationSchedulerModule, loadRotationSchedulerConfig } from '@meshtls/nest-rotation-scheduler';

void runProcess({
  label: 'rotation-scheduler',
  name: 'rotation-scheduler',
  roles: ['rotation-scheduler'],
  modules: (env) => [RotationSchedulerModule.forRoot(loadRotationSchedulerConfig(env))],
  defaultMode: 'distributed',
  defaultPort: 5692,
});
