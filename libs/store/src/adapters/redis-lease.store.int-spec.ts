import { startRedisServer, type RedisServerHandle } from '@meshtls/testing';
import { FakeClock } from '@meshtls/util';
import { describeLeaseStoreContract } from '../testing/lease-store.contract';
import { RedisLeaseStore } from './redis-lease.store';

let server: RedisServerHandle;
let runs = 0;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server?.stop();
});

describeLeaseStoreContract('redis', (clock) =>
  RedisLeaseStore.connect({ url: server.url, keyPrefix: `run-${++runs}:`, clock }),
);

describe('RedisLeaseStore with several clients', () => {
  it('gives a claim raced by two clients to exactly one', async () => {
    const clock = new FakeClock(new Date());
    const a = await RedisLeaseStore.connect({ url: server.url, keyPrefix: 'race:', clock });
    const b = await RedisLeaseStore.connect({ url: server.url, keyPrefix: 'race:', clock });
    try {
      for (let i = 0; i < 20; i++) {
        const serial = `serial-${i}`;
        const [ra, rb] = await Promise.all([
          a.claim('default', 'dp-1', serial, 'a', 10_000),
          b.claim('default', 'dp-1', serial, 'b', 10_000),
        ]);
        expect([ra, rb].filter(Boolean)).toHaveLength(1);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('drops due-set members of leases Redis has expired', async () => {
    const now = Date.now();
    const clock = new FakeClock(new Date(now));
    const store = await RedisLeaseStore.connect({ url: server.url, keyPrefix: 'expiry:', clock });
    try {
      await store.put({
        mesh: 'default',
        dataplane: 'short',
        serial: '01',
        notBefore: new Date(now).toISOString(),
        notAfter: new Date(now + 100).toISOString(),
        rotateAt: new Date(now + 80).toISOString(),
        backend: 'ca-1',
        supportedBackends: ['ca-1'],
        controlPlaneInstance: 'cp-1',
        session: 's',
      });
      await new Promise((r) => setTimeout(r, 150));
      expect(await store.listDue(new Date(now + 90), 10)).toEqual([]);
      expect(await store['client'].zCard('expiry:due')).toBe(0);
    } finally {
      await store.close();
    }
  });
});
