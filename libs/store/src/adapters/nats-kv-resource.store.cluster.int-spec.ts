import { ResourceType, type ResourceKey } from '@meshtls/domain';
import { eventually, startNatsCluster, type NatsClusterHandle } from '@meshtls/testing';
import { systemClock } from '@meshtls/util';
import { connectNats } from '@meshtls/bus';
import { NatsKvResourceStore } from './nats-kv-resource.store';

const BUCKET = 'election';
const WRITERS = 4;
/** The writers keep going at least this long after the kill, and until each has made this many writes since. */
const WRITE_WINDOW_MS = 3_000;
const WRITES_AFTER_KILL = 20;

/**
 * A three-node JetStream cluster holding the bucket on every node; the node leading the bucket's stream is
 * killed (SIGKILL) while clients create and update without pause. JetStream takes no write until the
 * others elect a new leader: the store waits that out, and every write lands once, none is refused or
 * reported as a conflict, none is lost.
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
    const store = await NatsKvResourceStore.connect({
      nc,
      bucket: BUCKET,
      replicas: 3,
      clock: systemClock,
    });
    const jsm = await nc.jetstreamManager();
    const counter = (w: number): ResourceKey => ({ type: ResourceType.Mesh, name: `counter-${w}` });
    const created = (w: number, n: number): ResourceKey => ({ type: ResourceType.Mesh, name: `w${w}-${n}` });
    try {
      // Each writer owns one key it updates (so any conflict would be a wrong one) and creates its own.
      const versions = await Promise.all(
        Array.from(
          { length: WRITERS },
          async (_, w) => (await store.create(counter(w), { n: 0 })).meta.version,
        ),
      );
      const leaderName = (await jsm.streams.info(`KV_${BUCKET}`)).cluster?.leader;
      const leader = cluster.servers.find((s) => s.serverName === leaderName);
      expect(leader).toBeDefined();
      const connectedTo = nc.info?.server_name;

      const durations: number[] = [];
      const completions: number[] = [];
      const afterKill = new Array<number>(WRITERS).fill(0);
      const creates = new Array<number>(WRITERS).fill(0);
      const updates = new Array<number>(WRITERS).fill(0);
      let killedAt = Number.POSITIVE_INFINITY;
      const timed = async <T>(w: number, op: () => Promise<T>): Promise<T> => {
        const started = Date.now();
        const result = await op();
        durations.push(Date.now() - started);
        completions.push(Date.now());
        if (Date.now() >= killedAt) afterKill[w]!++;
        return result;
      };
      const writing = (w: number) =>
        Date.now() < killedAt + WRITE_WINDOW_MS || afterKill[w]! < WRITES_AFTER_KILL;
      const writer = async (w: number) => {
        for (let n = 1; writing(w); n++) {
          await timed(w, () => store.create(created(w, n), { w, n }));
          creates[w] = n;
          versions[w] = (await timed(w, () => store.update(counter(w), { n }, versions[w]!))).meta.version;
          updates[w] = n;
        }
      };
      const writers = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      // Let the writers get going, then crash the leader under them.
      await new Promise((r) => setTimeout(r, 200));
      killedAt = Date.now();
      const writesBeforeKill = completions.length;
      await leader!.kill('SIGKILL');
      await writers;

      const newLeader = (await jsm.streams.info(`KV_${BUCKET}`)).cluster?.leader;
      expect(newLeader).toBeDefined();
      expect(newLeader).not.toBe(leaderName);
      const sinceKill = completions.filter((t) => t >= killedAt).sort((a, b) => a - b);
      // The longest time no write completed, from the kill on: how long writes waited for the election.
      let outage = 0;
      sinceKill.reduce((previous, t) => ((outage = Math.max(outage, t - previous)), t), killedAt);
      console.log(
        `leader ${leaderName} killed (writer connected to ${connectedTo}); new leader ${newLeader}; ` +
          `${writesBeforeKill} writes before the kill, ${sinceKill.length} after; ` +
          `no write completed for ${outage} ms; slowest write ${Math.max(...durations)} ms`,
      );

      // A fresh client on the survivors reads back every write. Opening a store starts a watch, a new
      // consumer, which JetStream may not place until it has noticed the dead member: retried a while.
      const reader = await connectNats({
        servers: cluster.urls.filter((u) => u !== leader!.url),
        name: 'reader',
      });
      try {
        const opening = Date.now();
        const check = await eventually(
          () =>
            NatsKvResourceStore.connect({
              nc: reader,
              bucket: BUCKET,
              replicas: 3,
              clock: systemClock,
              requestTimeoutMs: 1_000,
            }),
          { intervalMs: 200 },
        );
        console.log(`a fresh store opened on the survivors after ${Date.now() - opening} ms`);
        for (let w = 0; w < WRITERS; w++) {
          for (let n = 1; n <= creates[w]!; n++)
            expect((await check.get(created(w, n)))?.spec).toEqual({ w, n });
          expect(await check.get(created(w, creates[w]! + 1))).toBeUndefined();
          const last = await check.get(counter(w));
          expect(last?.spec).toEqual({ n: updates[w] });
          expect(last?.meta.version).toBe(versions[w]);
        }
        await check.close();
      } finally {
        await reader.close();
      }
    } finally {
      await store.close();
      await nc.close();
    }
    // Each write may wait the store's whole write retry (30 s) for the election, then the read back.
  }, 90_000);
});
