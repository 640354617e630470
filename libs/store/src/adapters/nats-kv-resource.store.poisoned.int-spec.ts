import type { KV } from 'nats';
import { ResourceType, storedSpecViolations } from '@meshtls/domain';
import { RecordingRejections, waitFor } from '@meshtls/testing';
import { FakeClock } from '@meshtls/util';
import type { ResourceChange } from '../ports/resource.store';
import { NatsKvResourceStore } from './nats-kv-resource.store';
import { natsForSpecFile } from './nats-kv.test-support';

/**
 * Values written straight into the bucket, around the API (a client with KV write access, a bug, a
 * restore from a bad backup): each is skipped, reported by key, and its key reads as absent until it is
 * written or deleted; the store never hangs or fails because of one.
 */
const clock = new FakeClock();
const text = new TextEncoder();
const SECRET_LOOKING = 'cG9pc29uZWQtdmFsdWUtbmV2ZXItbG9nZ2Vk';
const envelope = (spec: unknown) =>
  JSON.stringify({
    format: 1,
    spec,
    creationTime: '2026-06-01T00:00:00.000Z',
    modificationTime: '2026-06-01T00:00:00.000Z',
  });

const nats = natsForSpecFile('poisoned-int-spec');

describe('NatsKvResourceStore with values that do not decode', () => {
  let bucket: string;
  let raw: KV;
  let rejections: RecordingRejections;
  const open = () =>
    NatsKvResourceStore.connect({
      nc: nats.nc,
      bucket,
      clock,
      checkSpec: storedSpecViolations,
      rejections,
      requestTimeoutMs: 2000,
    });

  beforeEach(async () => {
    bucket = nats.nextBucket();
    raw = await nats.nc.jetstream().views.kv(bucket, { history: 1 });
    rejections = new RecordingRejections();
  });

  it('starts with a bad value in the bucket: skips it, reports its key without its value, serves the rest', async () => {
    const writer = await open();
    await writer.create({ type: ResourceType.Mesh, name: 'good' }, {});
    await writer.close();
    await raw.put('Mesh.not-json', text.encode(`not-json{${SECRET_LOOKING}`));
    await raw.put('Mesh.no-envelope', text.encode(JSON.stringify({ spec: { secret: SECRET_LOOKING } })));
    await raw.put('Dataplane.default.bad-spec', text.encode(envelope({ networking: 42 })));
    await raw.put('Mesh.not-utf8', new Uint8Array([0xff, 0xfe, 0x7b]));

    const store = await open();
    try {
      expect((await store.list(ResourceType.Mesh)).items.map((r) => r.meta.name)).toEqual(['good']);
      expect(await store.get({ type: ResourceType.Mesh, name: 'not-json' })).toBeUndefined();
      expect(await store.list(ResourceType.Dataplane)).toEqual({ total: 0, items: [] });
      expect(rejections.values).toEqual(
        expect.arrayContaining([
          { source: 'kv', key: 'Mesh/not-json', type: 'Mesh', reason: 'value is not JSON' },
          { source: 'kv', key: 'Mesh/not-utf8', type: 'Mesh', reason: 'value is not JSON' },
          {
            source: 'kv',
            key: 'Mesh/no-envelope',
            type: 'Mesh',
            reason:
              'value is not a stored resource (wrong or missing format, creationTime, modificationTime)',
          },
          {
            source: 'kv',
            key: 'Dataplane/default/bad-spec',
            type: 'Dataplane',
            reason: 'spec does not validate at networking',
          },
        ]),
      );
      expect(rejections.values).toHaveLength(4);
      expect(JSON.stringify(rejections.values)).not.toContain(SECRET_LOOKING);
    } finally {
      await store.close();
    }
  });

  it('skips a bad value written while it runs, without telling watchers; writing the resource again settles it', async () => {
    const store = await open();
    try {
      const key = { type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' } as const;
      const spec = {
        networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] },
      };
      await store.create(key, spec);
      const seen: ResourceChange[] = [];
      const stop = store.watch((c) => seen.push(c));
      await raw.put('Dataplane.default.web-1', text.encode(envelope({ networking: 42 })));
      await waitFor(() => expect(rejections.pending).toEqual(['kv:Dataplane/default/web-1']));
      expect(await store.get(key)).toBeUndefined();
      expect(seen).toEqual([]);

      // It reads as absent, so creating it is what the API does (PUT): that replaces the bad value.
      const again = await store.create(key, spec);
      expect(again.spec).toEqual(spec);
      expect(rejections.pending).toEqual([]);
      expect(rejections.settledKeys).toEqual(['kv:Dataplane/default/web-1']);
      await waitFor(() => expect(seen.map((c) => c.kind)).toEqual(['upsert']));
      stop();
    } finally {
      await store.close();
    }
  });

  it('lets exactly one of two racing creates replace a bad value; the other is told it exists', async () => {
    const a = await open();
    const b = await NatsKvResourceStore.connect({
      nc: nats.nc,
      bucket,
      clock,
      rejections: new RecordingRejections(),
    });
    try {
      for (let round = 0; round < 10; round++) {
        await raw.put(`Mesh.raced-${round}`, text.encode('not-json{'));
        await waitFor(() => expect(rejections.pending).toContain(`kv:Mesh/raced-${round}`));
        const key = { type: ResourceType.Mesh, name: `raced-${round}` };
        const results = await Promise.allSettled([a.create(key, { by: 'a' }), b.create(key, { by: 'b' })]);
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
        expect(lost.reason.code).toBe('resource.already-exists');
      }
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('lets a bad value be deleted, which settles it on every client', async () => {
    const store = await open();
    const otherRejections = new RecordingRejections();
    const other = await NatsKvResourceStore.connect({
      nc: nats.nc,
      bucket,
      clock,
      checkSpec: storedSpecViolations,
      rejections: otherRejections,
    });
    try {
      await raw.put('Mesh.broken', text.encode('{"format":1}'));
      await waitFor(() => expect(rejections.pending).toEqual(['kv:Mesh/broken']));
      await waitFor(() => expect(otherRejections.pending).toEqual(['kv:Mesh/broken']));
      await store.delete({ type: ResourceType.Mesh, name: 'broken' });
      expect(rejections.pending).toEqual([]);
      await waitFor(() => expect(otherRejections.pending).toEqual([]));
      await expect(store.delete({ type: ResourceType.Mesh, name: 'broken' })).rejects.toMatchObject({
        code: 'resource.not-found',
      });
    } finally {
      await other.close();
      await store.close();
    }
  });

  it('reports a key that names no resource', async () => {
    const store = await open();
    try {
      await raw.put('Nonsense.key', text.encode(envelope({})));
      await waitFor(() =>
        expect(rejections.values).toEqual([
          { source: 'kv', key: 'Nonsense.key', type: 'unknown', reason: 'key names no resource' },
        ]),
      );
      await raw.delete('Nonsense.key');
      await waitFor(() => expect(rejections.pending).toEqual([]));
    } finally {
      await store.close();
    }
  });

  it('keeps an update of a bad value "not found", as a read of it says', async () => {
    const store = await open();
    try {
      await raw.put('Mesh.shapeless', text.encode('[]'));
      await waitFor(() => expect(rejections.pending).toEqual(['kv:Mesh/shapeless']));
      const revision = (await raw.get('Mesh.shapeless'))!.revision;
      await expect(
        store.update({ type: ResourceType.Mesh, name: 'shapeless' }, {}, revision),
      ).rejects.toMatchObject({
        code: 'resource.not-found',
      });
    } finally {
      await store.close();
    }
  });
});
