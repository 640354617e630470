import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { AppProcess, REPO_ROOT } from './app-process';
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
    /** Each role's NATS password (its user is the role's name), as `deploy/nats/auth.conf` expects. */
    private readonly natsPasswords: Readonly<Record<Role | typeof OBSERVER, string>>,
    /** Every NATS server: one, or the members of a JetStream cluster. */
    readonly natsServers: readonly NatsServerHandle[],
    readonly redis: RedisServerHandle,
    private readonly env: Record<string, string>,
    /** Shared by the mesh-api replicas: they generate one dataplane-server CA and certificate there. */
    private readonly dataDir: TempDir,
  ) {}

  /**
   * NATS credentials of `role`'s user, for a test's own client (`connect({ servers, ...natsUser(role) })`).
   * NATS refuses anonymous clients here, as in every shipped deployment.
   */
  natsUser(role: Role): { user: string; pass: string; inboxPrefix: string } {
    return { user: role, pass: this.natsPasswords[role], inboxPrefix: `_INBOX_${role}` };
  }

  /**
   * A test-only NATS user that may read every stream through the JetStream API (and nothing else), for
   * tests that look at what the deployment stores. The shipped configuration has no such user.
   */
  natsObserver(): { user: string; pass: string } {
    return { user: OBSERVER, pass: this.natsPasswords[OBSERVER] };
  }

  /** The same for the project's own NATS clients (`connectNats`, `NatsBus.connect`). */
  natsClient(role: Role): {
    credentials: { kind: 'user'; user: string; password: string };
    inboxPrefix: string;
  } {
    return {
      credentials: { kind: 'user', user: role, password: this.natsPasswords[role] },
      inboxPrefix: `_INBOX_${role}`,
    };
  }

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
    const passwords = Object.fromEntries(
      // NATS reads a variable's value as a config value: one that starts with a digit would be a number.
      [...CONTROL_PLANE_ROLES, OBSERVER].map((user) => [user, `p${randomBytes(18).toString('hex')}`]),
    ) as Record<Role | typeof OBSERVER, string>;
    const dataDir = await tempDir();
    const auth = {
      file: withObserver(join(REPO_ROOT, 'deploy', 'nats', 'auth.conf'), dataDir.path),
      env: {
        ...Object.fromEntries(
          CONTROL_PLANE_ROLES.map((role) => [natsPasswordVariable(role), passwords[role]]),
        ),
        [OBSERVER_PASSWORD_VARIABLE]: passwords[OBSERVER],
      },
    };
    const probeUser = { user: 'mesh-api', pass: passwords['mesh-api'], inboxPrefix: '_INBOX_mesh-api' };
    const startNats = async () =>
      nodes === 1
        ? [await startNatsServer({ auth })]
        : (await startNatsCluster({ size: nodes, auth, probeUser })).servers;
    const [nats, redis] = await Promise.all([
      startNats(),
      startRedisServer({ password: randomBytes(18).toString('base64url') }),
    ]);
    const clusterEnv: Record<string, string> = nodes === 1 ? {} : { MESH_KV_REPLICAS: String(nodes) };
    const topology = new Topology(passwords, nats, redis, { ...clusterEnv, ...env }, dataDir);
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
        MESH_NATS_USER: role,
        MESH_NATS_PASSWORD: this.natsPasswords[role],
        MESH_REDIS_URL: this.redis.address,
        ...(this.redis.password ? { MESH_REDIS_PASSWORD: this.redis.password } : {}),
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

  /**
   * What NATS refused so far (connections, publishes, subscriptions), from every server's log; with
   * `clientName`, only what that client (a replica's instance id) was refused.
   */
  natsViolations(clientName?: string): string[] {
    const lines = this.natsServers.flatMap((server) => {
      if (!server.logFile || !existsSync(server.logFile)) return [];
      return readFileSync(server.logFile, 'utf8').split('\n');
    });
    return lines.filter(
      (line) =>
        /Violation|Authorization Error|authentication error/i.test(line) &&
        (clientName === undefined || line.includes(`"${clientName}"`) || line.includes(`:${clientName}"`)),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.process.stop()));
    await Promise.all([...this.natsServers.map((s) => s.stop()), this.redis.stop()]);
    await this.dataDir.remove();
  }
}

/** The variable `deploy/nats/auth.conf` reads `role`'s password from, e.g. MESH_NATS_PASSWORD_CA_SIGNER. */
export function natsPasswordVariable(role: Role): string {
  return `MESH_NATS_PASSWORD_${role.toUpperCase().replace(/-/g, '_')}`;
}

const OBSERVER = 'test-observer';
const OBSERVER_PASSWORD_VARIABLE = 'MESH_NATS_PASSWORD_TEST_OBSERVER';

/** A copy of the shipped authorization file in `dir`, with the test-only observer user added. */
function withObserver(file: string, dir: string): string {
  const text = readFileSync(file, 'utf8');
  const marker = 'users: [';
  if (!text.includes(marker)) throw new Error(`${file}: no "${marker}" to add the test observer to`);
  const observer = `${marker}
    {
      user: ${OBSERVER}
      password: $${OBSERVER_PASSWORD_VARIABLE}
      permissions: { publish: ["$JS.API.INFO", "$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.>", "$JS.API.STREAM.MSG.GET.>"], subscribe: ["_INBOX.>"] }
    }`;
  const copy = join(dir, 'auth.conf');
  writeFileSync(copy, text.replace(marker, observer));
  return copy;
}
