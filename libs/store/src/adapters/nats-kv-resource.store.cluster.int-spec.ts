import { ResourceType } from '@meshtls/domain';
import { startNatsCluster, type NatsClusterHandle } from '@meshtls/testing';
import { systemClock } from '@meshtls/util';
import { connectNats } from './nats-connection';
import { NatsKvResourceStore } from './nats-kv-resource.store';

/**
 * A three-node JetStream cluster holding the bucket on every node; the node leading the bucket's stream is
 * killed (SIGKILL) while a client writes. JetStream takes no write until the others elect a new leader:
 * the store waits that out and every write lands once, none is refused, none lost.
 */
describe('NatsKvResourceStore across a stream leader election', () => {
  let cluster: NatsClusterHandle;
  beforeAll(async () => {
    cluster = await startNatsCluster();
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('lands every write made while the leader dies and another is elected', async () => {
    const nc = await connectNats({ servers: cluster.urls, name: 'writer', reconnectTimeWaitMs: 100 });
    const clock = systemClock;
    const store = await NatsKvResourceStore.connect({ nc, bucket: 'election', replicas: 3, clock });
    const mesh = (n: number) => ({ type: ResourceType.Mesh, name: `mesh-${n}` }) as const;
    try {
      const first = await store.create(mesh(0), { n: 0 });
      const jsm = await nc.jetstreamManager();
      const leaderName = (await jsm.streams.info('KV_election')).cluster?.leader;
      const leader = cluster.servers.find((s) => s.serverName === leaderName);
      expect(leader).toBeDefined();

      let version = first.meta.version;
      const slowest = { ms: 0 };
      const timed = async <T>(op: () => Promise<T>) => {
        const started = Date.now();
        const result = await op();
        slowest.ms = Math.max(slowest.ms, Date.now() - started);
        return result;
      };
      const killed = leader!.kill('SIGKILL');
      for (let n = 1; n <= 30; n++) {
        await timed(() => store.create(mesh(n), { n }));
        version = (await timed(() => store.update(mesh(0), { n }, version))).meta.version;
      }
      await killed;
      process.stdout.write(`slowest write across the election: ${slowest.ms} ms\n`);

      // A fresh client on the survivors reads back every write.
      const reader = await connectNats({
        servers: cluster.urls.filter((u) => u !== leader!.url),
        name: 'reader',
      });
      try {
        const check = await NatsKvResourceStore.connect({
          nc: reader,
          bucket: 'election',
          replicas: 3,
          clock,
        });
        for (let n = 1; n <= 30; n++) expect((await check.get(mesh(n)))?.spec).toEqual({ n });
        expect((await check.get(mesh(0)))?.spec).toEqual({ n: 30 });
        expect((await check.get(mesh(0)))?.meta.version).toBe(version);
        await check.close();
      } finally {
        await reader.close();
      }
      await leader!.restart();
    } finally {
      await store.close();
      await nc.close();
    }
  }, 60_000);
});
