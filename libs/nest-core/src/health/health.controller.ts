import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { pingContracts, type AppRole } from '@meshtls/contracts';
import { ResourceType } from '@meshtls/domain';
import type { Infrastructure } from '../infra/infrastructure';
import { INFRASTRUCTURE, INSTANCE_INFO, type InstanceInfo } from '../tokens';

type CheckResult = 'ok' | string;

/**
 * `/health/live`: the process is up. `/health/ready` (and `/health`): the store answers and this process's
 * roles are reachable over the bus; 503 with the failing check otherwise.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(INFRASTRUCTURE) private readonly infra: Infrastructure,
    @Inject(INSTANCE_INFO) private readonly instance: InstanceInfo,
  ) {}

  @Get('live')
  @HttpCode(200)
  live() {
    return { status: 'ok', instance: this.instance.instanceId, roles: this.instance.roles };
  }

  @Get(['', 'ready'])
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks = { store: await this.checkStore(), bus: await this.checkBus() };
    const healthy = Object.values(checks).every((c) => c === 'ok');
    reply.status(healthy ? 200 : 503);
    return {
      status: healthy ? 'ok' : 'fail',
      instance: this.instance.instanceId,
      roles: this.instance.roles,
      checks,
    };
  }

  private async checkStore(): Promise<CheckResult> {
    try {
      await this.infra.resources.get({ type: ResourceType.Mesh, name: 'health-check-probe' });
      return 'ok';
    } catch (error) {
      return `store unavailable: ${(error as Error).message}`;
    }
  }

  private async checkBus(): Promise<CheckResult> {
    const role = this.instance.roles[0] as AppRole;
    try {
      await this.infra.bus.request(
        pingContracts[role],
        { from: this.instance.instanceId },
        { timeoutMs: 1500 },
      );
      return 'ok';
    } catch (error) {
      return `bus unavailable: ${(error as Error).message}`;
    }
  }
}
