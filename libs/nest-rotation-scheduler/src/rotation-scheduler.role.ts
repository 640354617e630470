import type { RoleModules } from '@meshtls/nest-core';
import { loadRotationSchedulerConfig } from './rotation-scheduler.config';
import { RotationSchedulerModule } from './rotation-scheduler.module';

/** The rotation-scheduler role's module, configured from the environment. */
export const rotationSchedulerModules: RoleModules = (env) => [
  RotationSchedulerModule.forRoot(loadRotationSchedulerConfig(env)),
];
