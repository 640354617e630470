import { Module, type DynamicModule } from '@nestjs/common';
import { CORE_CONFIG, configuredModule, type CoreConfig } from '@meshtls/nest-core';
import type { AccessSettings } from '../access/access-policy';
import { ACCESS_SETTINGS } from '../mesh-api.tokens';
import type { RoleSettings } from './control-plane-index';
import { IndexController, ROLE_SETTINGS } from './index.controller';

/** `GET /`, `/config` and `/_resources` of mesh-api, with the role's settings to show. Needs CoreModule. */
@Module({})
export class ControlPlaneIndexModule {
  static forRoot(role: RoleSettings): DynamicModule {
    const module = configuredModule(ControlPlaneIndexModule, ROLE_SETTINGS, role, [
      {
        provide: ACCESS_SETTINGS,
        inject: [CORE_CONFIG],
        useFactory: (config: CoreConfig): AccessSettings => ({
          mode: config.mode,
          adminToken: config.adminToken,
        }),
      },
    ]);
    return { ...module, controllers: [IndexController] };
  }
}
