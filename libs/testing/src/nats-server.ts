import { randomBytes } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, retryOnPortRace, tempDir } from './ports';
import {
  findBinary,
  probeGreeting,
  type ServerProcess,
  spawnServer,
  stopProcess,
  waitUntilReady,
} from './server-process';

/** Cluster membership of one server; the routes name the other members' cluster ports. */
export interface NatsClusterOptions {
  /** Cluster name, the same on every member. */
  readonly name: string;
  /** This server's cluster (route) port. */
  readonly port: number;
  /** Route URLs of the other members, e.g. `nats://127.0.0.1:6301`. */
  readonly routes: readonly string[];
}

export interface NatsServerOptions {
  /** Client port; a free one when omitted. */
  readonly port?: number;
  /** JetStream store; a temp dir, removed by `stop()`, when omitted. */
  readonly storeDir?: string;
  /** JetStream on (default) or off. */
  readonly jetstream?: boolean;
  /** Server name (a unique one by default); JetStream clusters need a distinct one per member. */
  readonly serverName?: string;
  readonly cluster?: NatsClusterOptions;
  /** How long to wait for the server to accept clients (default 10 s). */
  readonly startTimeoutMs?: number;
  /**
   * Users and permissions: an authorization file (as `deploy/nats/auth.conf`) included by the server's
   * configuration, and the environment its `$VARIABLES` come from. Without it, anyone may connect.
   */
  readonly auth?: { readonly file: string; readonly env: Record<string, string> };
}

/** A running nats-server of a test. `pid` changes after `restart()`. */
export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly storeDir: string;
  /** The name it reports (JetStream names stream leaders by it). */
  readonly serverName: string;
  /** With `auth`: the server's log, where it writes every refused connection and permission violation. */
  readonly logFile?: string;
  /** Stops it (SIGTERM, then SIGKILL) and removes the store dir if it was made here. Idempotent. */
  stop(): Promise<void>;
  /** Stops it gracefully and starts it again on the same port and store. */
  restart(): Promise<void>;
  /** Sends `signal` (default SIGKILL, a crash) and waits for the exit; `restart()` brings it back. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `nats-server` (from PATH) on 127.0.0.1 and a free port, with JetStream in a temp store, and
 * resolves once it accepts clients.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  return options.port === undefined ? retryOnPortRace(() => startOnce(options)) : startOnce(options);
}

async function startOnce(options: NatsServerOptions): Promise<NatsServerHandle> {
  const binary = findBinary('nats-server', 'apt-get install nats-server');
  const port = options.port ?? (await freePort());
  const ownDir = options.storeDir === undefined ? await tempDir('meshtls-nats-') : undefined;
  const storeDir = options.storeDir ?? ownDir!.path;
  // A unique name lets the readiness probe tell this server from any other that holds the port.
  const serverName = options.serverName ?? `test-${port}-${randomBytes(4).toString('hex')}`;
  const confDir = await tempDir('meshtls-nats-conf-');
  const logFile = options.auth ? join(confDir.path, 'nats.log') : undefined;
  const args = natsArgs(port, storeDir, serverName, options);
  if (options.auth) {
    args.push('-l', logFile!);
    // Includes are read relative to the including file: the authorization file goes beside it.
    copyFileSync(options.auth.file, join(confDir.path, 'auth.conf'));
    writeFileSync(join(confDir.path, 'nats.conf'), 'include auth.conf\n');
    args.push('-c', join(confDir.path, 'nats.conf'));
  }
  const timeoutMs = options.startTimeoutMs ?? 10_000;

  const launch = async (): Promise<ServerProcess> => {
    const server = spawnServer(binary, args, options.auth?.env);
    await waitUntilReady(
      server,
      'nats-server',
      port,
      (p) => probeGreeting(p, `"server_name":"${serverName}"`),
      timeoutMs,
    );
    return server;
  };
  let current: ServerProcess;
  try {
    current = await launch();
  } catch (err) {
    await ownDir?.remove();
    await confDir.remove();
    throw err;
  }
  let stopped = false;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.pid;
    },
    storeDir,
    serverName,
    logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopProcess(current, 5000);
      await ownDir?.remove();
      await confDir.remove();
    },
    async restart() {
      await stopProcess(current, 5000);
      current = await launch();
    },
    async kill(signal = 'SIGKILL') {
      await stopProcess(current, 5000, signal);
    },
  };
}

function natsArgs(port: number, storeDir: string, name: string, options: NatsServerOptions): string[] {
  const args = ['-a', '127.0.0.1', '-p', String(port), '-n', name];
  if (options.jetstream !== false) args.push('-js', '-sd', storeDir);
  const cluster = options.cluster;
  if (cluster !== undefined) {
    args.push('--cluster_name', cluster.name, '--cluster', `nats://127.0.0.1:${cluster.port}`);
    if (cluster.routes.length > 0) args.push('--routes', cluster.routes.join(','));
  }
  return args;
}
