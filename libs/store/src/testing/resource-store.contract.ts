import type { ResourceKey } from '@meshtls/domain';
import { ResourceAlreadyExistsError, ResourceConflictError, ResourceNotFoundError } from '@meshtls/domain';
import { FakeClock } from '@meshtls/util';
import type { ResourceChange, ResourceStore } from '../ports/resource.store';
import { waitFor } from '@meshtls/testing';

/** What one contract test needs: a fresh, empty store driven by `clock`, and how to dispose of it. */
export interface ResourceStoreFixture {
  readonly store: ResourceStore;
  dispose?(): Promise<void>;
}

const mesh = (m: string, name: string): ResourceKey => ({ type: 'Secret', mesh: m, name });
const meshKey = (name: string): ResourceKey => ({ type: 'Mesh', name });

/**
 * The behaviour every ResourceStore adapter shares. Each test gets a new empty store from `make`, which
 * must use the given clock for creation and modification times.
 */
export function describeResourceStoreContract(
  adapter: string,
  make: (clock: FakeClock) => Promise<ResourceStoreFixture>,
): void {
  describe(`ResourceStore contract: ${adapter}`, () => {
    let clock: FakeClock;
    let fixture: ResourceStoreFixture;
    let store: ResourceStore;

    beforeEach(async () => {
      clock = new FakeClock('2026-03-01T10:00:00Z');
      fixture = await make(clock);
      store = fixture.store;
    });

    afterEach(async () => {
      await store.close();
      await fixture.dispose?.();
    });

    it('creates and reads back a resource with store-set meta', async () => {
      const created = await store.create(mesh('default', 'ca-1'), { data: 'YWJj' });
      expect(created.meta).toEqual({
        type: 'Secret',
        mesh: 'default',
        name: 'ca-1',
        version: expect.any(Number),
        creationTime: '2026-03-01T10:00:00.000Z',
        modificationTime: '2026-03-01T10:00:00.000Z',
      });
      expect(created.meta.version).toBeGreaterThan(0);
      expect(await store.get(mesh('default', 'ca-1'))).toEqual(created);
      expect(await store.get(mesh('default', 'other'))).toBeUndefined();
      expect(await store.get(mesh('other', 'ca-1'))).toBeUndefined();
    });

    it('keeps global resources without a mesh', async () => {
      const created = await store.create(meshKey('default'), { mtls: { enabledBackend: 'ca-1' } });
      expect(Object.keys(created.meta)).not.toContain('mesh');
      expect(await store.get(meshKey('default'))).toEqual(created);
      expect(await store.get({ type: 'GlobalSecret', name: 'default' })).toBeUndefined();
    });

    it('refuses to create an existing resource', async () => {
      await store.create(mesh('default', 'a'), { data: '1' });
      await expect(store.create(mesh('default', 'a'), { data: '2' })).rejects.toBeInstanceOf(
        ResourceAlreadyExistsError,
      );
      expect((await store.get(mesh('default', 'a')))?.spec).toEqual({ data: '1' });
    });

    it('updates with the current version, keeping creationTime', async () => {
      const created = await store.create(meshKey('m1'), { v: 1 });
      clock.advance(60_000);
      const updated = await store.update(meshKey('m1'), { v: 2 }, created.meta.version);
      expect(updated.meta.version).toBeGreaterThan(created.meta.version);
      expect(updated.meta.creationTime).toBe('2026-03-01T10:00:00.000Z');
      expect(updated.meta.modificationTime).toBe('2026-03-01T10:01:00.000Z');
      expect(await store.get(meshKey('m1'))).toEqual(updated);
    });

    it('refuses an update with a stale version and keeps the newer write', async () => {
      const created = await store.create(meshKey('m1'), { v: 1 });
      const first = await store.update(meshKey('m1'), { v: 2 }, created.meta.version);
      await expect(store.update(meshKey('m1'), { v: 3 }, created.meta.version)).rejects.toBeInstanceOf(
        ResourceConflictError,
      );
      expect(await store.get(meshKey('m1'))).toEqual(first);
    });

    it('refuses to update or delete a missing resource', async () => {
      await expect(store.update(meshKey('nope'), {}, 1)).rejects.toBeInstanceOf(ResourceNotFoundError);
      await expect(store.delete(meshKey('nope'))).rejects.toBeInstanceOf(ResourceNotFoundError);
    });

    it('deletes, honouring expectedVersion, and never reuses a version', async () => {
      const created = await store.create(mesh('m', 'x'), { a: 1 });
      const updated = await store.update(mesh('m', 'x'), { a: 2 }, created.meta.version);
      await expect(store.delete(mesh('m', 'x'), created.meta.version)).rejects.toBeInstanceOf(
        ResourceConflictError,
      );
      expect(await store.get(mesh('m', 'x'))).toBeDefined();
      await store.delete(mesh('m', 'x'), updated.meta.version);
      expect(await store.get(mesh('m', 'x'))).toBeUndefined();
      await expect(store.delete(mesh('m', 'x'))).rejects.toBeInstanceOf(ResourceNotFoundError);
      const again = await store.create(mesh('m', 'x'), { a: 3 });
      expect(again.meta.version).toBeGreaterThan(updated.meta.version);
      await store.delete(mesh('m', 'x'));
      expect(await store.get(mesh('m', 'x'))).toBeUndefined();
    });

    it('lists by type, ordered by mesh then name, with pages and a total', async () => {
      const names: Array<[string, string]> = [
        ['default', 'b.two'],
        ['default', 'a.one'],
        ['default-2', 'a'],
        ['default.x', 'a'],
        ['abc', 'z'],
        ['default', 'c'],
      ];
      for (const [m, n] of names) await store.create(mesh(m, n), { n });
      await store.create({ type: 'Dataplane', mesh: 'default', name: 'dp-1' }, {});
      await store.create(meshKey('default'), {});

      const all = await store.list('Secret');
      expect(all.total).toBe(6);
      expect(all.items.map((r) => `${r.meta.mesh}/${r.meta.name}`)).toEqual([
        'abc/z',
        'default/a.one',
        'default/b.two',
        'default/c',
        'default-2/a',
        'default.x/a',
      ]);
      const inDefault = await store.list('Secret', { mesh: 'default' });
      expect(inDefault.items.map((r) => r.meta.name)).toEqual(['a.one', 'b.two', 'c']);
      const page = await store.list('Secret', { mesh: 'default', offset: 1, limit: 1 });
      expect(page).toEqual({ total: 3, items: [inDefault.items[1]] });
      expect((await store.list('Secret', { offset: 5, limit: 10 })).items).toHaveLength(1);
      expect((await store.list('Secret', { offset: 9 })).items).toEqual([]);
      expect((await store.list('Mesh')).items.map((r) => r.meta.name)).toEqual(['default']);
      expect((await store.list('MeshTrafficPermission')).total).toBe(0);
    });

    it('round-trips names with characters outside [a-z0-9]', async () => {
      const odd = ['a b', 'x/y:z=é', 'dots.and-dashes_', 'UPPER', '*', '>'];
      for (const n of odd) await store.create(mesh('m.1', n), { n });
      const listed = await store.list('Secret', { mesh: 'm.1' });
      expect(listed.items.map((r) => r.spec)).toEqual([...odd].sort().map((n) => ({ n })));
      for (const n of odd) expect((await store.get(mesh('m.1', n)))?.meta.name).toBe(n);
      expect((await store.list('Secret', { mesh: 'm' })).total).toBe(0);
    });

    it('never shares spec objects with callers', async () => {
      const spec = { list: [1] };
      await store.create(meshKey('m'), spec);
      spec.list.push(2);
      const read = await store.get(meshKey('m'));
      (read?.spec as { list: number[] }).list.push(3);
      expect((await store.get(meshKey('m')))?.spec).toEqual({ list: [1] });
    });

    it('tells watchers about changes made after the call, until stopped', async () => {
      await store.create(meshKey('before'), {});
      const changes: ResourceChange[] = [];
      const stop = store.watch((c) => changes.push(c));
      // Each write waits for the previous one to be seen: a version superseded before it is delivered may
      // be skipped (see the next test), so only then is every change promised.
      const created = await store.create(mesh('default', 'w.1'), { v: 1 });
      await waitFor(() => expect(changes).toHaveLength(1));
      const updated = await store.update(mesh('default', 'w.1'), { v: 2 }, created.meta.version);
      await waitFor(() => expect(changes).toHaveLength(2));
      await store.delete(mesh('default', 'w.1'));
      await waitFor(() => expect(changes).toHaveLength(3));
      expect(changes[0]).toEqual({ kind: 'upsert', record: created });
      expect(changes[1]).toEqual({ kind: 'upsert', record: updated });
      expect(changes[2]).toEqual({
        kind: 'delete',
        key: { type: 'Secret', mesh: 'default', name: 'w.1' },
        version: expect.any(Number),
      });
      expect((changes[2] as { version: number }).version).toBeGreaterThan(updated.meta.version);

      stop();
      await store.create(meshKey('after'), {});
      const probe: ResourceChange[] = [];
      const stopProbe = store.watch((c) => probe.push(c));
      await store.create(meshKey('after-2'), {});
      await waitFor(() => expect(probe).toHaveLength(1));
      stopProbe();
      expect(changes).toHaveLength(3);
    });

    it('tells watchers the latest state of a key after fast writes, never an older one after a newer', async () => {
      const changes: ResourceChange[] = [];
      const stop = store.watch((c) => changes.push(c));
      const key = mesh('default', 'fast');
      const versions = [(await store.create(key, { v: 0 })).meta.version];
      for (let v = 1; v <= 20; v++)
        versions.push((await store.update(key, { v }, versions.at(-1)!)).meta.version);
      const last = await store.update(key, { v: 'last' }, versions.at(-1)!);
      await waitFor(() => expect(changes.at(-1)).toEqual({ kind: 'upsert', record: last }));
      await store.delete(key);
      await waitFor(() => expect(changes.at(-1)).toMatchObject({ kind: 'delete', key }));
      stop();
      const seen = changes.map((c) => (c.kind === 'upsert' ? c.record.meta.version : c.version));
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(new Set(seen).size).toBe(seen.length);
      for (const c of changes) {
        if (c.kind === 'upsert') expect(versions.concat(last.meta.version)).toContain(c.record.meta.version);
      }
    });

    it('keeps writing when a watcher throws', async () => {
      const seen: ResourceChange[] = [];
      const stopBad = store.watch(() => {
        throw new Error('listener bug');
      });
      const stopGood = store.watch((c) => seen.push(c));
      await store.create(meshKey('m'), {});
      await waitFor(() => expect(seen).toHaveLength(1));
      stopBad();
      stopGood();
    });
  });
}
