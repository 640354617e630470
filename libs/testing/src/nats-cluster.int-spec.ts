import { connect } from 'nats';
import { eventually, startNatsCluster } from './index';

/**
 * Retries `op` while the stream has no leader: after a member dies JetStream answers 503 until the
 * survivors elect a new one (4–9 s after they notice, another round after a split vote), and a client
 * still connected to the dead member first waits out a request timeout (5 s).
 */
const duringElection = <T>(op: () => Promise<T>): Promise<T> =>
  eventually(op, {
    timeoutMs: 30_000,
    intervalMs: 200,
    retryable: (err) => ['503', 'TIMEOUT'].includes((err as { code?: string }).code ?? ''),
  });

describe('startNatsCluster', () => {
  it('forms a JetStream cluster that keeps a replicated bucket through a member crash', async () => {
    const cluster = await startNatsCluster();
    try {
      expect(cluster.servers).toHaveLength(3);
      expect(new Set(cluster.servers.map((s) => s.port)).size).toBe(3);
      const nc = await connect({
        servers: [...cluster.urls],
        maxReconnectAttempts: -1,
        reconnectTimeWait: 100,
      });
      try {
        const kv = await nc.jetstream().views.kv('cluster-check', { replicas: 3 });
        await kv.put('k', new TextEncoder().encode('v1'));
        await cluster.servers[0]!.kill('SIGKILL');
        await duringElection(() => kv.put('k', new TextEncoder().encode('v2')));
        // A KV get is a direct get, which any replica may answer: one that has not applied the write yet
        // answers v1 for a moment after the put is acknowledged. The write must become what every read sees.
        await eventually(async () => expect((await kv.get('k'))?.string()).toBe('v2'), 10_000);
        await cluster.servers[0]!.restart();
      } finally {
        await nc.close();
      }
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
