import { ErrorCode, NatsError } from 'nats';
import {
  ResourceAlreadyExistsError,
  ResourceConflictError,
  ResourceNotFoundError,
  ResourceType,
} from '@meshtls/domain';
import { startNatsServer, waitFor } from '@meshtls/testing';
import { FakeClock, TimeoutError } from '@meshtls/util';
import type { ResourceChange } from '../ports/resource.store';
import { describeResourceStoreContract } from '../testing/resource-store.contract';
import { SecretCipher } from '../crypto/secret-cipher';
import { EncryptedResourceStore } from './encrypted-resource.store';
import { encodeKvKey } from './kv-key.codec';
import { connectNats } from '@meshtls/bus';
import { natsForSpecFile, twoClientsOnOneBucket } from './nats-kv.test-support';
import { NatsKvResourceStore } from './nats-kv-resource.store';
import { classifyKvError } from './nats-kv-errors';

const nats = natsForSpecFile('store-int-spec');

describeResourceStoreContract('nats kv', async (clock) => ({
  store: await NatsKvResourceStore.connect({ nc: nats.nc, bucket: nats.nextBucket(), clock }),
}));

describe('NatsKvResourceStore with two clients on one bucket', () => {
  const clock = new FakeClock();
  const two = twoClientsOnOneBucket(nats, clock, 'store-int-spec-b');

  it('reads every write acknowledged through the other client once caught up', async () => {
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        two.store.create({ type: ResourceType.Mesh, name: `m-${i}` }, { i }),
      ),
    );
    await two.other.caughtUp();
    expect((await two.other.list(ResourceType.Mesh)).total).toBe(200);
    await two.store.update(
      { type: ResourceType.Mesh, name: 'm-7' },
      { i: 'updated' },
      (await two.store.get({ type: ResourceType.Mesh, name: 'm-7' }))!.meta.version,
    );
    await two.other.caughtUp();
    expect((await two.other.get({ type: ResourceType.Mesh, name: 'm-7' }))?.spec).toEqual({ i: 'updated' });
  });

  it('asks JetStream once for the reads of one page made together', async () => {
    await two.other.caughtUp();
    const sentBefore = two.otherNc.stats().outMsgs;
    await Promise.all(Array.from({ length: 100 }, () => two.other.caughtUp()));
    expect(two.otherNc.stats().outMsgs - sentBefore).toBe(1);
    // A call made while that request is out waits for a request of its own.
    const first = two.other.caughtUp();
    await Promise.resolve();
    await Promise.resolve();
    const second = two.other.caughtUp();
    await Promise.all([first, second]);
    expect(two.otherNc.stats().outMsgs - sentBefore).toBe(3);
  });

  it('lets reads go on from what it holds when JetStream cannot be reached', async () => {
    await two.store.create({ type: ResourceType.Mesh, name: 'kept' }, {});
    await two.other.caughtUp();
    process.kill(nats.server.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      await two.other.caughtUp();
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(await two.other.get({ type: ResourceType.Mesh, name: 'kept' })).toBeDefined();
    } finally {
      process.kill(nats.server.pid, 'SIGCONT');
    }
  }, 20_000);

  it('lets exactly one of two concurrent writers of the same version win', async () => {
    const key = { type: 'Mesh', name: 'contended' } as const;
    for (let round = 0; round < 10; round++) {
      const current = round === 0 ? await two.store.create(key, { round }) : (await two.store.get(key))!;
      const results = await Promise.allSettled([
        two.store.update(key, { round, by: 'a' }, current.meta.version),
        two.other.update(key, { round, by: 'b' }, current.meta.version),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason.code).toBe('resource.conflict');
      const winner = (won[0] as PromiseFulfilledResult<{ meta: { version: number } }>).value;
      await waitFor(async () => expect((await two.store.get(key))?.meta.version).toBe(winner.meta.version));
    }
  });

  it('lets a watch on one client see changes made by the other', async () => {
    // Each change is awaited before the next: the bucket keeps one revision per key, so a create deleted
    // at once may reach a slow watcher as the delete alone (the port's contract; see the contract spec).
    const seen: ResourceChange[] = [];
    const stop = two.other.watch((c) => seen.push(c));
    const key = { type: 'Secret', mesh: 'default', name: 'default.ca-1' } as const;
    const created = await two.store.create(key, { data: 'eA==' });
    await waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0]).toEqual({ kind: 'upsert', record: created });
    await two.store.delete(key);
    await waitFor(() => expect(seen).toHaveLength(2));
    stop();
    expect(seen[1]).toEqual({ kind: 'delete', key, version: created.meta.version + 1 });
  });

  it('loads what is already in the bucket and serves hundreds of resources', async () => {
    const meshes = ['default', 'default.x', 'other'];
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        two.store.create(
          { type: 'Dataplane', mesh: meshes[i % 3]!, name: `dp-${String(i).padStart(3, '0')}` },
          { i },
        ),
      ),
    );
    const late = await NatsKvResourceStore.connect({ nc: two.otherNc, bucket: two.bucket, clock });
    try {
      // Lists are served from the copy loaded at connect: not one message goes to NATS for them.
      const sentBefore = two.otherNc.stats().outMsgs;
      const page = await late.list('Dataplane', { mesh: 'default', offset: 10, limit: 20 });
      expect(page.total).toBe(100);
      expect(page.items.map((r) => r.meta.name)[0]).toBe('dp-030');
      expect((await late.list('Dataplane')).total).toBe(300);
      expect((await late.list('Dataplane', { mesh: 'default.x' })).total).toBe(100);
      expect(two.otherNc.stats().outMsgs).toBe(sentBefore);
    } finally {
      await late.close();
    }
  });
});

describe('EncryptedResourceStore over NATS KV', () => {
  it('keeps Secret data unreadable in the raw bucket', async () => {
    const bucket = nats.nextBucket();
    const clock = new FakeClock();
    const store = new EncryptedResourceStore(
      await NatsKvResourceStore.connect({ nc: nats.nc, bucket, clock }),
      new SecretCipher(SecretCipher.generateKey()),
    );
    const rawNc = await connectNats({ servers: nats.server.url, name: 'raw-reader' });
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
  type Method = 'create' | 'update' | 'delete';
  const two = twoClientsOnOneBucket(nats, clock, 'store-int-spec-other');
  const key = { type: ResourceType.Mesh, name: 'm' } as const;

  /**
   * Makes the store's next KV `method` call fail once, then behave. `applied`: the call reaches the server
   * and its answer is lost (a timeout). `unsent`: it never reaches the server, yet fails the same way, so
   * the store cannot tell the two apart. `refused`: nobody received it (no responders). `meanwhile` runs
   * before the failure is reported, as another writer acting while the store waits for its answer.
   */
  const failNext = (
    method: Method,
    how: 'applied' | 'unsent' | 'refused',
    meanwhile: () => Promise<unknown> = async () => undefined,
  ) => {
    const kv = (two.store as unknown as { kv: Record<Method, (...a: unknown[]) => Promise<unknown>> }).kv;
    const real = kv[method].bind(kv);
    kv[method] = async (...args: unknown[]) => {
      kv[method] = real;
      if (how === 'applied') await real(...args);
      await meanwhile();
      throw NatsError.errorForCode(how === 'refused' ? ErrorCode.NoResponders : ErrorCode.Timeout);
    };
  };

  it('a create applied but unanswered succeeds with the revision it got, and is cached', async () => {
    failNext('create', 'applied');
    const created = await two.store.create(key, { v: 1 });
    expect(created.spec).toEqual({ v: 1 });
    await waitFor(
      async () => expect((await two.other.get(key))?.meta.version).toBe(created.meta.version),
      5_000,
    );
    expect((await two.store.get(key))?.meta.version).toBe(created.meta.version);
  });

  it('a create unanswered while another writer created the key is "already exists"', async () => {
    failNext('create', 'unsent', () => two.other.create(key, { by: 'other' }));
    await expect(two.store.create(key, { by: 'store' })).rejects.toThrow(ResourceAlreadyExistsError);
  });

  it('an update applied but unanswered succeeds; one unanswered while another writer updated conflicts', async () => {
    const created = await two.store.create(key, { v: 1 });
    failNext('update', 'applied');
    const updated = await two.store.update(key, { v: 2 }, created.meta.version);
    expect(updated.spec).toEqual({ v: 2 });
    expect(updated.meta.version).toBeGreaterThan(created.meta.version);
    expect((await two.store.get(key))?.meta.version).toBe(updated.meta.version);

    failNext('update', 'unsent', () => two.other.update(key, { by: 'other' }, updated.meta.version));
    await expect(two.store.update(key, { v: 3 }, updated.meta.version)).rejects.toThrow(
      ResourceConflictError,
    );
    // Someone else's write is a conflict without any lost answer too.
    await expect(two.store.update(key, { v: 3 }, created.meta.version)).rejects.toThrow(
      ResourceConflictError,
    );
    await expect(two.store.create(key, { v: 4 })).rejects.toThrow(ResourceAlreadyExistsError);
  });

  it('an update unanswered while another writer deleted the key is "not found"', async () => {
    const created = await two.store.create(key, { v: 1 });
    failNext('update', 'unsent', () => two.other.delete(key));
    await expect(two.store.update(key, { v: 2 }, created.meta.version)).rejects.toThrow(
      ResourceNotFoundError,
    );
  });

  it('a delete applied but unanswered succeeds, with and without an expected version', async () => {
    const a = await two.store.create(key, { v: 1 });
    failNext('delete', 'applied');
    await two.store.delete(key, a.meta.version);
    expect(await two.store.get(key)).toBeUndefined();

    await two.store.create(key, { v: 2 });
    failNext('delete', 'applied');
    await two.store.delete(key);
    expect(await two.store.get(key)).toBeUndefined();
    await waitFor(async () => expect(await two.other.get(key)).toBeUndefined(), 5_000);
  });

  it('a delete that may have been applied counts the key gone by another writer as done', async () => {
    // Deliberate: after an unanswered delete the store cannot tell whose delete marker it finds.
    const a = await two.store.create(key, { v: 1 });
    failNext('delete', 'unsent', () => two.other.delete(key));
    await two.store.delete(key, a.meta.version);
    expect(await two.store.get(key)).toBeUndefined();
  });

  it('a delete that cannot have been applied reports a key deleted by another writer as not found', async () => {
    const a = await two.store.create(key, { v: 1 });
    failNext('delete', 'refused', () => two.other.delete(key));
    await expect(two.store.delete(key, a.meta.version)).rejects.toThrow(ResourceNotFoundError);
  });
});

describe('NatsKvResourceStore when JetStream stays away', () => {
  it('gives up after writeRetryMs with a TimeoutError that says the store is unavailable', async () => {
    const own = await startNatsServer();
    const ownNc = await connectNats({ servers: own.url, name: 'away', reconnectTimeWaitMs: 50 });
    try {
      const store = await NatsKvResourceStore.connect({
        nc: ownNc,
        bucket: 'away',
        clock: new FakeClock(),
        requestTimeoutMs: 300,
        writeRetryMs: 1_500,
      });
      await own.stop();
      const started = Date.now();
      const failure = await store.create({ type: ResourceType.Mesh, name: 'm' }, {}).catch((e: unknown) => e);
      const waited = Date.now() - started;
      expect(failure).toBeInstanceOf(TimeoutError);
      expect((failure as Error).message).toMatch(/^resource store unavailable: create .* within 1500 ms/);
      expect(waited).toBeGreaterThanOrEqual(1_000);
      expect(waited).toBeLessThan(1_500 + 300 + 1_000);
      await store.close();
    } finally {
      await ownNc.close();
      await own.stop();
    }
  }, 20_000);
});

describe('classifyKvError on what a real server answers', () => {
  it('sorts a wrong last sequence, a no-responders and a request timeout', async () => {
    const js = nats.nc.jetstream();
    const kv = await js.views.kv(nats.nextBucket(), { history: 1 });
    await kv.create('k', new Uint8Array());
    expect(classifyKvError(await kv.create('k', new Uint8Array()).catch((e: unknown) => e))).toBe('conflict');
    expect(classifyKvError(await nats.nc.request('nobody.listens', undefined).catch((e: unknown) => e))).toBe(
      'refused',
    );
    const silent = nats.nc.subscribe('never.answers');
    try {
      const unanswered = await nats.nc
        .request('never.answers', undefined, { timeout: 100 })
        .catch((e: unknown) => e);
      expect(classifyKvError(unanswered)).toBe('unanswered');
    } finally {
      silent.unsubscribe();
    }
  });
});
