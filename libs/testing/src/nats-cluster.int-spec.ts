import { connect } from 'nats';
import { startNatsCluster } from './index';

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
        await kv.put('k', new TextEncoder().encode('v2'));
        expect((await kv.get('k'))?.string()).toBe('v2');
        await cluster.servers[0]!.restart();
      } finally {
        await nc.close();
      }
    } finally {
      await cluster.stop();
    }
  }, 30_000);
});
