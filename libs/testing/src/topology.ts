import { randomBytes } from 'node:crypto';
import { AppProcess } from './app-process';
import { startNatsCluster } from './nats-cluster';
import { startNatsServer, type NatsServerHandle } from './nats-server';
import { join } from 'node:path';
import { freePort, tempDir, type TempDir } from './ports';
import { startRedisServer, type RedisServerHandle } from './redis-server';

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
  /** mesh-api only: `127.0.0.1:port` of its dataplane server (gRPC over TLS). */
  readonly dpAddress?: string;
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
    /** Every NATS server: one, or the members of a JetStream cluster. */
    readonly natsServers: readonly NatsServerHandle[],
    readonly redis: RedisServerHandle,
    private readonly env: Record<string, string>,
    /** Shared by the mesh-api replicas: they generate one dataplane-server CA and certificate there. */
    private readonly dataDir: TempDir,
  ) {}

  /** The first (or only) NATS server. */
  get nats(): NatsServerHandle {
    return this.natsServers[0]!;
  }

  /** Every NATS server's client URL: what the control-plane processes are given. */
  get natsUrls(): string[] {
    return this.natsServers.map((s) => s.url);
  }

  /** The CA file dataplanes trust for every mesh-api replica of this topology. */
  get dpCaFile(): string {
    return join(this.dataDir.path, 'dp-server', 'ca.pem');
  }

  /**
   * `replicas`: how many of each role (a number for all, or per role; a missing role gets none);
   * `env`: extra settings for every replica (e.g. ca-signer's admission limits); `natsNodes`: 1 (default)
   * or a JetStream cluster of that many members, every resource and event stream replicated on each.
   */
  static async start(
    replicas: number | Partial<Record<Role, number>> = 2,
    env: Record<string, string> = {},
    options: { natsNodes?: number } = {},
  ): Promise<Topology> {
    const nodes = options.natsNodes ?? 1;
    const startNats = async () =>
      nodes === 1 ? [await startNatsServer()] : (await startNatsCluster({ size: nodes })).servers;
    const [nats, redis, dataDir] = await Promise.all([startNats(), startRedisServer(), tempDir()]);
    const clusterEnv: Record<string, string> = nodes === 1 ? {} : { MESH_KV_REPLICAS: String(nodes) };
    const topology = new Topology(nats, redis, { ...clusterEnv, ...env }, dataDir);
    try {
      for (const role of CONTROL_PLANE_ROLES) {
        const count = typeof replicas === 'number' ? replicas : (replicas[role] ?? 0);
        for (let i = 1; i <= count; i++) await topology.startReplica(role, `${role}-${i}`);
      }
    } catch (error) {
      await topology.stop();
      throw error;
    }
    return topology;
  }

  /** Starts one more replica of `role`; `env` adds to (or overrides) the topology's settings for it alone. */
  async startReplica(role: Role, instanceId: string, env: Record<string, string> = {}): Promise<Replica> {
    const port = await freePort();
    const dpPort = role === 'mesh-api' ? await freePort() : 0;
    const process = await AppProcess.start(
      role,
      {
        MESH_NATS_URL: this.natsUrls.join(','),
        MESH_REDIS_URL: this.redis.url,
        MESH_SECRET_KEY: this.secretKey,
        MESH_ADMIN_TOKEN: this.adminToken,
        MESH_INSTANCE_ID: instanceId,
        MESH_HTTP_PORT: String(port),
        MESH_DATA_DIR: this.dataDir.path,
        MESH_DP_SERVER_PORT: String(dpPort),
        ...this.env,
        ...env,
      },
      instanceId,
    );
    const replica = {
      role,
      instanceId,
      url: `http://127.0.0.1:${port}`,
      ...(role === 'mesh-api' ? { dpAddress: `127.0.0.1:${dpPort}` } : {}),
      process,
    };
    this.replicas.push(replica);
    return replica;
  }

  of(role: Role): Replica[] {
    return this.replicas.filter((r) => r.role === role);
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.process.stop()));
    await Promise.all([...this.natsServers.map((s) => s.stop()), this.redis.stop()]);
    await this.dataDir.remove();
  }
}
