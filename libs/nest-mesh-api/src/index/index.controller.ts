import { hostname } from 'node:os';
import { Controller, Get, Inject, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CORE_CONFIG, type CoreConfig } from '@meshtls/nest-core';
import { authenticate, credentialsOf, type AccessSettings } from '../access/access-policy';
import { ACCESS_SETTINGS } from '../mesh-api.tokens';
import {
  clusterId,
  configForDisplay,
  indexBody,
  productVersion,
  resourceTypeDescriptions,
  type IndexBody,
  type RoleSettings,
} from './control-plane-index';

export const ROLE_SETTINGS = Symbol('RoleSettingsForDisplay');

/**
 * What kumactl and Kuma's GUI read of a control plane before anything else: `GET /` (who it is; kumactl's
 * `config control-planes add` checks it), `GET /config` (its settings, credentials hidden) and
 * `GET /_resources` (the resource types it serves; `kumactl export` lists each).
 */
@Controller()
export class IndexController {
  private readonly index: IndexBody;
  private readonly config: Record<string, unknown>;

  constructor(
    @Inject(CORE_CONFIG) core: CoreConfig,
    @Inject(ROLE_SETTINGS) role: RoleSettings,
    @Inject(ACCESS_SETTINGS) private readonly access: AccessSettings,
  ) {
    this.index = indexBody({
      hostname: hostname(),
      version: productVersion(),
      instanceId: core.instanceId,
      clusterId: clusterId(core),
    });
    this.config = configForDisplay(core, role);
  }

  /** Open to anyone, whatever credentials come with it, as Kuma's index. */
  @Get()
  root(): IndexBody {
    return this.index;
  }

  /** Open to every caller, as Kuma's default access allows; a token given must still be valid. */
  @Get('config')
  settings(@Req() req: FastifyRequest): Record<string, unknown> {
    authenticate(this.access, credentialsOf(req));
    return this.config;
  }

  @Get('_resources')
  resources() {
    return resourceTypeDescriptions();
  }
}
