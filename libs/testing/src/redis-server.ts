import { freePort, retryOnPortRace, tempDir } from './ports';
import { findBinary, probeGreeting, spawnServer, stopProcess, waitUntilReady } from './server-process';

/** A running redis-server of a test, keeping nothing on disk. */
export interface RedisServerHandle {
  /** With the password when there is one: what a test's own client connects with. */
  readonly url: string;
  /** `redis://127.0.0.1:port`, without credentials. */
  readonly address: string;
  /** Set with `requirePassword`: every client must authenticate. */
  readonly password?: string;
  readonly port: number;
  /** The PID spawned here (Redis removes its own pidfile on shutdown, so this is the one to trust); changes with restartEmpty(). */
  readonly pid: number;
  /** Stops it (SIGTERM, then SIGKILL) and removes its working dir. Idempotent. */
  stop(): Promise<void>;
  /**
   * Kills it (SIGKILL) and starts a new one on the same port with no data: a crash without persistence.
   * With `whileDown`, the new one starts once that has resolved (an outage of that length).
   */
  restartEmpty(whileDown?: () => Promise<unknown>): Promise<void>;
}

/**
 * Starts `redis-server` (from PATH) on 127.0.0.1 and a free port, without persistence, and resolves once
 * it answers PING.
 */
export interface RedisServerOptions {
  readonly startTimeoutMs?: number;
  /** Requires this password of every client (`requirepass`). */
  readonly password?: string;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  return retryOnPortRace(() => startOnce(options));
}

async function startOnce(options: RedisServerOptions): Promise<RedisServerHandle> {
  const binary = findBinary('redis-server', 'apt-get install redis-server');
  const port = await freePort();
  const launch = async () => {
    const dir = await tempDir('meshtls-redis-');
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      dir.path,
      ...(options.password ? ['--requirepass', options.password] : []),
    ];
    const server = spawnServer(binary, args);
    try {
      // INFO names the process: a Redis that already held the port cannot pass for this one.
      const auth = options.password ? `AUTH ${options.password}\r\n` : '';
      const probe = (p: number) => probeGreeting(p, `process_id:${server.pid}`, `${auth}INFO server\r\n`);
      await waitUntilReady(server, 'redis-server', port, probe, options.startTimeoutMs ?? 10_000);
    } catch (err) {
      await dir.remove();
      throw err;
    }
    return { server, dir };
  };
  let current = await launch();
  let stopped = false;
  return {
    url: options.password
      ? `redis://:${encodeURIComponent(options.password)}@127.0.0.1:${port}`
      : `redis://127.0.0.1:${port}`,
    address: `redis://127.0.0.1:${port}`,
    ...(options.password ? { password: options.password } : {}),
    port,
    get pid() {
      return current.server.pid;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopProcess(current.server, 5000);
      await current.dir.remove();
    },
    async restartEmpty(whileDown?: () => Promise<unknown>) {
      await stopProcess(current.server, 5000, 'SIGKILL');
      await current.dir.remove();
      await whileDown?.();
      current = await launch();
    },
  };
}
