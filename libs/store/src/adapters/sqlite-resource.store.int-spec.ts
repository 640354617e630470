import { join } from 'node:path';
import { tempDir, type TempDir } from '@meshtls/testing';
import { FakeClock } from '@meshtls/util';
import { describeResourceStoreContract } from '../testing/resource-store.contract';
import { SqliteResourceStore } from './sqlite-resource.store';

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
