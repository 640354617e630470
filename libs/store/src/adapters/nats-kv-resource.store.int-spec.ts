import type { NatsConnection } from 'nats';
import { ResourceAlreadyExistsError, ResourceConflictError, ResourceType } from '@meshtls/domain';
import { startNatsServer, type NatsServerHandle } from '@meshtls/testing';
import { FakeClock } from '@meshtls/util';
import type { ResourceChange } from '../ports/resource.store';
import { describeResourceStoreContract } from '../testing/resource-store.contract';
import { waitFor } from '../testing/wait-for';
import { SecretCipher } from '../crypto/secret-cipher';
import { EncryptedResourceStore } from './encrypted-resource.store';
import { encodeKvKey } from './kv-key.codec';
import { connectNats } from './nats-connection';
import { NatsKvResourceStore, isTransientKvError } from './nats-kv-resource.store';

let server: NatsServerHandle;
let nc: NatsConnection;
let buckets = 0;
const nextBucket = () => `resources-${++buckets}`;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url, name: 'store-int-spec' });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describeResourceStoreContract('nats kv', async (clock) => ({
  store: await NatsKvResourceStore.connect({ nc, bucket: nextBucket(), clock }),
}));

describe('NatsKvResourceStore with two clients on one bucket', () => {
  let otherNc: NatsConnection;
  let a: NatsKvResourceStore;
  let b: NatsKvResourceStore;
  const clock = new FakeClock();

  beforeEach(async () => {
    otherNc = await connectNats({ servers: server.url, name: 'store-int-spec-b' });
    const bucket = nextBucket();
    a = await NatsKvResourceStore.connect({ nc, bucket, clock });
    b = await NatsKvResourceStore.connect({ nc: otherNc, bucket, clock });
  });

  afterEach(async () => {
    await a.close();
    await b.close();
    await otherNc.close();
  });

  it('lets exactly one of two concurrent writers of the same version win', async () => {
    const key = { type: 'Mesh', name: 'contended' } as const;
    for (let round = 0; round < 10; round++) {
      const current = round === 0 ? await a.create(key, { round }) : (await a.get(key))!;
      const results = await Promise.allSettled([
        a.update(key, { round, by: 'a' }, current.meta.version),
        b.update(key, { round, by: 'b' }, current.meta.version),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason.code).toBe('resource.conflict');
      const winner = (won[0] as PromiseFulfilledResult<{ meta: { version: number } }>).value;
      await waitFor(async () => expect((await a.get(key))?.meta.version).toBe(winner.meta.version));
    }
  });

  it('lets a watch on one client see changes made by the other', async () => {
    const seen: ResourceChange[] = [];
    const stop = b.watch((c) => seen.push(c));
    const created = await a.create(
      { type: 'Secret', mesh: 'default', name: 'default.ca-1' },
      { data: 'eA==' },
    );
    await a.delete({ type: 'Secret', mesh: 'default', name: 'default.ca-1' });
    await waitFor(() => expect(seen).toHaveLength(2));
    stop();
    expect(seen[0]).toEqual({ kind: 'upsert', record: created });
    expect(seen[1]).toMatchObject({
      kind: 'delete',
      key: { type: 'Secret', mesh: 'default', name: 'default.ca-1' },
    });
  });

  it('loads what is already in the bucket and serves hundreds of resources', async () => {
    const meshes = ['default', 'default.x', 'other'];
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        a.create(
          { type: 'Dataplane', mesh: meshes[i % 3]!, name: `dp-${String(i).padStart(3, '0')}` },
          { i },
        ),
      ),
    );
    const late = await NatsKvResourceStore.connect({ nc: otherNc, bucket: `resources-${buckets}`, clock });
    try {
      const started = Date.now();
      const page = await late.list('Dataplane', { mesh: 'default', offset: 10, limit: 20 });
      expect(Date.now() - started).toBeLessThan(100);
      expect(page.total).toBe(100);
      expect(page.items.map((r) => r.meta.name)[0]).toBe('dp-030');
      expect((await late.list('Dataplane')).total).toBe(300);
      expect((await late.list('Dataplane', { mesh: 'default.x' })).total).toBe(100);
    } finally {
      await late.close();
    }
  });
});

describe('EncryptedResourceStore over NATS KV', () => {
  it('keeps Secret data unreadable in the raw bucket', async () => {
    const bucket = nextBucket();
    const clock = new FakeClock();
    const store = new EncryptedResourceStore(
      await NatsKvResourceStore.connect({ nc, bucket, clock }),
      new SecretCipher(SecretCipher.generateKey()),
    );
    const rawNc = await connectNats({ servers: server.url, name: 'raw-reader' });
    try {
      const secret = { type: 'Secret', mesh: 'default', name: 'default.ca-builtin-key-ca-1' } as const;
      const plaintext = Buffer.from('-----BEGIN PRIVATE KEY----- test').toString('base64');
      await store.create(secret, { data: plaintext });
      expect((await store.get(secret))?.spec).toEqual({ data: plaintext });

      const raw = await rawNc.jetstream().views.kv(bucket, { bindOnly: true });
      const entry = await raw.get(encodeKvKey(secret));
      const text = entry!.string();
      expect(text).toContain('enc:v1:');
      expect(text).not.toContain(plaintext);
      expect(text).not.toContain('PRIVATE KEY');
    } finally {
      await store.close();
      await rawNc.close();
    }
  });
});

describe('NatsKvResourceStore across a server restart', () => {
  it('keeps its watch and its writes working once the client has reconnected', async () => {
    const own = await startNatsServer();
    const clock = new FakeClock();
    const ncA = await connectNats({ servers: own.url, name: 'restart-a', reconnectTimeWaitMs: 50 });
    const ncB = await connectNats({ servers: own.url, name: 'restart-b', reconnectTimeWaitMs: 50 });
    try {
      const a = await NatsKvResourceStore.connect({
        nc: ncA,
        bucket: 'restart',
        clock,
        requestTimeoutMs: 500,
      });
      const b = await NatsKvResourceStore.connect({
        nc: ncB,
        bucket: 'restart',
        clock,
        requestTimeoutMs: 500,
      });
      const seen: ResourceChange[] = [];
      b.watch((c) => seen.push(c));
      const before = await a.create({ type: 'Mesh', name: 'before' }, {});
      await own.restart();
      const t0 = Date.now();
      await waitFor(async () => {
        // A write that timed out may still have landed: finding it there counts as done.
        await a.create({ type: 'Mesh', name: 'after' }, {}).catch((e: unknown) => {
          if (!(e instanceof ResourceAlreadyExistsError)) throw e;
        });
      }, 10_000);
      await waitFor(
        () => expect(seen.map((c) => c.kind === 'upsert' && c.record.meta.name)).toContain('after'),
        10_000,
      );
      expect(Date.now() - t0).toBeLessThan(5000);
      expect((await b.get({ type: 'Mesh', name: 'before' }))?.meta.version).toBe(before.meta.version);
      await a.close();
      await b.close();
    } finally {
      await ncA.close();
      await ncB.close();
      await own.stop();
    }
  }, 30_000);
});

describe('NatsKvResourceStore writes whose answer was lost', () => {
  const clock = new FakeClock();
  const timeout = () => Object.assign(new Error('TIMEOUT'), { code: 'TIMEOUT' });

  /** Makes the store's next `method` call reach the server and then fail as if its answer was lost. */
  const loseNextAnswer = (store: NatsKvResourceStore, method: 'create' | 'update') => {
    const kv = (store as unknown as { kv: Record<string, (...a: unknown[]) => Promise<number>> }).kv;
    const real = kv[method]!.bind(kv);
    let lost = false;
    kv[method] = async (...args: unknown[]) => {
      const revision = await real(...args);
      if (lost) return revision;
      lost = true;
      throw timeout();
    };
  };

  it('tells its own applied write from someone else’s after an unanswered attempt', async () => {
    const store = await NatsKvResourceStore.connect({ nc, bucket: nextBucket(), clock });
    const key = { type: ResourceType.Mesh, name: 'm' } as const;
    loseNextAnswer(store, 'create');
    // The create landed, its answer was lost, the retry meets "exists": it is this write, not a conflict.
    const created = await store.create(key, { v: 1 });
    expect(created.spec).toEqual({ v: 1 });
    loseNextAnswer(store, 'update');
    const updated = await store.update(key, { v: 2 }, created.meta.version);
    expect(updated.spec).toEqual({ v: 2 });
    expect(updated.meta.version).toBeGreaterThan(created.meta.version);
    // Someone else's write is still a conflict.
    await expect(store.update(key, { v: 3 }, created.meta.version)).rejects.toThrow(ResourceConflictError);
    await expect(store.create(key, { v: 4 })).rejects.toThrow(ResourceAlreadyExistsError);
    await store.close();
  });
});

describe('isTransientKvError', () => {
  it.each([
    [{ code: '503' }, true],
    [{ code: 'TIMEOUT' }, true],
    [{ code: 'DISCONNECT' }, true],
    [{ code: 'BAD API', api_error: { code: 503, err_code: 10008 } }, true],
    [{ code: 'BAD API', api_error: { code: 400, err_code: 10071 } }, false],
    [{ code: 'CONNECTION_CLOSED' }, false],
    [new Error('boom'), false],
  ])('%j → %s', (err, transient) => {
    expect(isTransientKvError(err)).toBe(transient);
  });
});
