import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import { rotationSchedulerModules } from '@meshtls/nest-rotation-scheduler';

void runProcess({
  label: 'rotation-scheduler',
  name: 'rotation-scheduler',
  roles: ['rotation-scheduler'],
  modules: rotationSchedulerModules,
  defaultMode: 'distributed',
  defaultPort: 5692,
});
