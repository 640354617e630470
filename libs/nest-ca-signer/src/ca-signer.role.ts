import type { RoleModules } from '@meshtls/nest-core';
import { loadCaSignerConfig } from './ca-signer.config';
import { CaSignerModule } from './ca-signer.module';

/** The ca-signer role's module, configured from the environment. */
export const caSignerModules: RoleModules = (env) => [CaSignerModule.forRoot(loadCaSignerConfig(env))];
