import { randomBytes } from 'node:crypto';
import {
  freePort,
  startNatsServer,
  startRedisServer,
  type NatsServerHandle,
  type RedisServerHandle,
} from '@meshtls/testing';
import { AppProcess } from './app-process';

export const CONTROL_PLANE_ROLES = [
  'mesh-api',
  'ca-signer',
  'rotation-scheduler',
  'stats-collector',
] as const;
export type Role = (typeof CONTROL_PLANE_ROLES)[number];

export interface Replica {
  readonly role: Role;
  readonly instanceId: string;
  readonly url: string;
  readonly process: AppProcess;
}

/**
 * The distributed control plane as real processes: NATS with JetStream, Redis, and `replicas` of every
 * role, each its own OS process configured only by environment, as `scripts/ha-up.sh` runs it.
 */
export class Topology {
  readonly adminToken = randomBytes(24).toString('hex');
  readonly secretKey = randomBytes(32).toString('base64');
  readonly replicas: Replica[] = [];

  private constructor(
    readonly nats: NatsServerHandle,
    readonly redis: RedisServerHandle,
  ) {}

  static async start(replicasPerRole = 2): Promise<Topology> {
    const [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
    const topology = new Topology(nats, redis);
    try {
      for (const role of CONTROL_PLANE_ROLES) {
        for (let i = 1; i <= replicasPerRole; i++) await topology.startReplica(role, `${role}-${i}`);
      }
    } catch (error) {
      await topology.stop();
      throw error;
    }
    return topology;
  }

  async startReplica(role: Role, instanceId: string): Promise<Replica> {
    const port = await freePort();
    const process = await AppProcess.start(
      role,
      {
        MESH_NATS_URL: this.nats.url,
        MESH_REDIS_URL: this.redis.url,
        MESH_SECRET_KEY: this.secretKey,
        MESH_ADMIN_TOKEN: this.adminToken,
        MESH_INSTANCE_ID: instanceId,
        MESH_HTTP_PORT: String(port),
      },
      instanceId,
    );
    const replica = { role, instanceId, url: `http://127.0.0.1:${port}`, process };
    this.replicas.push(replica);
    return replica;
  }

  of(role: Role): Replica[] {
    return this.replicas.filter((r) => r.role === role);
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.process.stop()));
    await Promise.all([this.nats.stop(), this.redis.stop()]);
  }
}
