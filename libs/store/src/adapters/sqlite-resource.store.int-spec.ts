import { join } from 'node:path';
import { tempDir, type TempDir } from '@meshtls/testing';
import { FakeClock } from '@meshtls/util';
import { describeResourceStoreContract } from '../testing/resource-store.contract';
import { SqliteResourceStore, STORE_FULL_SOURCE } from './sqlite-resource.store';
import { StoreFullError } from './store-full.error';

describeResourceStoreContract('sqlite', async (clock) => {
  const dir = await tempDir('meshtls-sqlite-');
  return { store: new SqliteResourceStore({ file: join(dir.path, 'store.db'), clock }), dispose: dir.remove };
});

describe('SqliteResourceStore persistence', () => {
  let dir: TempDir;
  beforeAll(async () => (dir = await tempDir('meshtls-sqlite-')));
  afterAll(() => dir.remove());

  it('keeps resources and versions across close and reopen', async () => {
    const file = join(dir.path, 'reopen.db');
    const clock = new FakeClock('2026-03-01T10:00:00Z');
    const first = new SqliteResourceStore({ file, clock });
    const kept = await first.create({ type: 'Secret', mesh: 'default', name: 'ca.1' }, { data: 'eA==' });
    const gone = await first.create({ type: 'Mesh', name: 'gone' }, {});
    await first.delete({ type: 'Mesh', name: 'gone' });
    await first.close();

    const second = new SqliteResourceStore({ file, clock });
    try {
      expect(await second.get({ type: 'Secret', mesh: 'default', name: 'ca.1' })).toEqual(kept);
      expect(await second.get({ type: 'Mesh', name: 'gone' })).toBeUndefined();
      const next = await second.create({ type: 'Mesh', name: 'gone' }, {});
      expect(next.meta.version).toBeGreaterThan(gone.meta.version + 1);
      expect(second['db'].pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      await second.close();
    }
  });

  it('never loses an update between two instances on one file', async () => {
    const file = join(dir.path, 'shared.db');
    const clock = new FakeClock();
    const a = new SqliteResourceStore({ file, clock });
    const b = new SqliteResourceStore({ file, clock });
    try {
      const created = await a.create({ type: 'Mesh', name: 'm' }, { v: 0 });
      const results = await Promise.allSettled([
        a.update({ type: 'Mesh', name: 'm' }, { v: 'a' }, created.meta.version),
        b.update({ type: 'Mesh', name: 'm' }, { v: 'b' }, created.meta.version),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason.code).toBe('resource.conflict');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('SqliteResourceStore on a full disk', () => {
  let dir: TempDir;
  beforeAll(async () => (dir = await tempDir('meshtls-sqlite-')));
  afterAll(() => dir.remove());

  it('refuses a write with StoreFullError, degraded until a write succeeds again', async () => {
    const degraded = new Map<string, string>();
    const store = new SqliteResourceStore({
      file: join(dir.path, 'full.db'),
      clock: new FakeClock(),
      degradations: { report: (s, r) => degraded.set(s, r), clear: (s) => degraded.delete(s) },
    });
    try {
      const kept = await store.create({ type: 'Mesh', name: 'before' }, {});
      expect(degraded.size).toBe(0);
      // A real SQLITE_FULL: the file may not grow past the pages it has, as on a disk with no space left.
      const db = store['db'];
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
      const big = { pad: 'x'.repeat(64 * 1024) };
      const write = store.create({ type: 'Mesh', name: 'too-big' }, big);
      await expect(write).rejects.toBeInstanceOf(StoreFullError);
      await expect(write).rejects.toMatchObject({ code: 'store.full' });
      expect([...degraded.keys()]).toEqual([STORE_FULL_SOURCE]);
      expect(degraded.get(STORE_FULL_SOURCE)).toMatch(/full\.db is full \(no space left on its disk\)/);
      // Nothing half-written, reads still served, and the failed write is not "degraded" forever.
      expect(await store.get({ type: 'Mesh', name: 'too-big' })).toBeUndefined();
      expect(await store.get({ type: 'Mesh', name: 'before' })).toEqual(kept);
      await expect(
        store.update({ type: 'Mesh', name: 'before' }, big, kept.meta.version),
      ).rejects.toMatchObject({
        code: 'store.full',
      });
      expect(degraded.size).toBe(1);

      db.pragma('max_page_count = 1000000');
      await store.create({ type: 'Mesh', name: 'too-big' }, big);
      expect(degraded.size).toBe(0);
    } finally {
      await store.close();
    }
  });
});
