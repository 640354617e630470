import { StorageType, connect } from 'nats';
import { startNatsServer, type NatsServerHandle, type NatsServerOptions } from './nats-server';
import { freePort, retryOnPortRace } from './ports';
import { ServerStartError } from './server-process';

/** A JetStream cluster of nats-servers on 127.0.0.1, each with its own client port and store. */
export interface NatsClusterHandle {
  readonly servers: readonly NatsServerHandle[];
  /** Every member's client URL, for a client that should fail over between them. */
  readonly urls: readonly string[];
  /** Stops every member. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `size` (default 3) clustered nats-servers with JetStream and resolves once JetStream answers,
 * i.e. once the members have elected a meta leader and streams with replicas can be created.
 */
export interface StartNatsClusterOptions {
  readonly size?: number;
  readonly readyTimeoutMs?: number;
  /** Users and permissions of every member (see NatsServerOptions.auth). */
  readonly auth?: NatsServerOptions['auth'];
  /** Who checks that JetStream answers, when `auth` allows no anonymous client. */
  readonly probeUser?: { readonly user: string; readonly pass: string; readonly inboxPrefix?: string };
}

export async function startNatsCluster(options: StartNatsClusterOptions = {}): Promise<NatsClusterHandle> {
  return retryOnPortRace(() => startOnce(options));
}

async function startOnce(options: StartNatsClusterOptions): Promise<NatsClusterHandle> {
  const size = options.size ?? 3;
  const name = `test-cluster-${process.pid}-${Date.now().toString(36)}`;
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = clusterPorts.map((p) => `nats://127.0.0.1:${p}`);
  const started = await Promise.allSettled(
    clusterPorts.map((port, i) =>
      startNatsServer({
        serverName: `${name}-n${i + 1}`,
        cluster: { name, port, routes: routes.filter((_, j) => j !== i) },
        ...(options.auth ? { auth: options.auth } : {}),
      }),
    ),
  );
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  try {
    if (failed !== undefined) throw failed.reason;
    await waitForJetStream(
      servers.map((s) => s.url),
      options.readyTimeoutMs ?? 20_000,
      options.probeUser,
      size,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { servers, urls: servers.map((s) => s.url), stop };
}

/**
 * Waits until JetStream answers and, for a client allowed to (no `user`: the anonymous test cluster), until
 * a stream with a replica on every member can be placed: a meta leader may answer before it counts every
 * peer as current, and a replicated stream asked for then is refused ("no suitable peers for placement").
 */
async function waitForJetStream(
  urls: string[],
  timeoutMs: number,
  user: { user: string; pass: string; inboxPrefix?: string } | undefined,
  size: number,
): Promise<void> {
  const nc = await connect({ servers: urls, ...(user ?? {}) });
  try {
    const jsm = await nc.jetstreamManager({ checkAPI: false });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await jsm.getAccountInfo();
        if (user === undefined && size > 1) {
          const name = 'cluster_ready_probe';
          await jsm.streams.add({
            name,
            subjects: [`${name}.>`],
            num_replicas: size,
            storage: StorageType.Memory,
          });
          await jsm.streams.delete(name);
        }
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new ServerStartError(`JetStream cluster not ready after ${timeoutMs} ms`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await nc.close();
  }
}
