import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { pingContracts, type AppRole } from '@meshtls/contracts';
import { ResourceType } from '@meshtls/domain';
import type { Infrastructure } from '../infra/infrastructure';
import { HEALTH_DEGRADATIONS, INFRASTRUCTURE, INSTANCE_INFO, type InstanceInfo } from '../tokens';
import type { HealthDegradations } from './health-degradations';

/** Degradations listed in the answer; the count says how many there are in all. */
const SHOWN_DEGRADATIONS = 20;

type CheckResult = 'ok' | string;

/**
 * `/health/live`: the process is up. `/health/ready` (and `/health`): the store answers, this process's
 * roles are reachable over the bus and nothing reported the process degraded (see HealthDegradations);
 * 503 with the failing check and every degradation's reason otherwise.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(INFRASTRUCTURE) private readonly infra: Infrastructure,
    @Inject(INSTANCE_INFO) private readonly instance: InstanceInfo,
    @Inject(HEALTH_DEGRADATIONS) private readonly degradations: HealthDegradations,
  ) {}

  @Get('live')
  @HttpCode(200)
  live() {
    return { status: 'ok', instance: this.instance.instanceId, roles: this.instance.roles };
  }

  @Get(['', 'ready'])
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks = {
      store: await this.checkStore(),
      bus: await this.checkBus(),
      degradations: this.checkDegradations(),
    };
    const healthy = Object.values(checks).every((c) => c === 'ok');
    reply.status(healthy ? 200 : 503);
    return {
      status: healthy ? 'ok' : 'fail',
      instance: this.instance.instanceId,
      roles: this.instance.roles,
      checks,
      ...(this.degradations.size > 0 ? { degradations: this.degradations.list(SHOWN_DEGRADATIONS) } : {}),
    };
  }

  private checkDegradations(): CheckResult {
    const count = this.degradations.size;
    if (count === 0) return 'ok';
    const [first] = this.degradations.list(1);
    return `degraded (${count}): ${first!.reason}${count > 1 ? ` (and ${count - 1} more)` : ''}`;
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
