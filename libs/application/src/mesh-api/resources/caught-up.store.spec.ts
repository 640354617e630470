import { ResourceType } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { CaughtUpStore } from './caught-up.store';

/** A store whose catching up is held until the test lets it go, and which says what was asked of it. */
class HeldStore extends MemoryResourceStore {
  readonly calls: string[] = [];
  release: () => void = () => undefined;

  override async caughtUp(): Promise<void> {
    this.calls.push('caughtUp');
    await new Promise<void>((r) => (this.release = r));
    this.calls.push('caught up');
  }
}

describe('CaughtUpStore', () => {
  const key = { type: ResourceType.Mesh, name: 'm' } as const;

  it.each(['get', 'list'] as const)('%s reads only once the store has caught up', async (read) => {
    const inner = new HeldStore(new FakeClock());
    await inner.create(key, {});
    const store = new CaughtUpStore(inner);
    let done = false;
    const reading = (read === 'get' ? store.get(key) : store.list(ResourceType.Mesh)).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    inner.release();
    const result = await reading;
    expect(inner.calls).toEqual(['caughtUp', 'caught up']);
    expect(result).toMatchObject(read === 'get' ? { meta: { name: 'm' } } : { total: 1 });
  });

  it('writes without waiting, and leaves the store it wraps open', async () => {
    const inner = new HeldStore(new FakeClock());
    const store = new CaughtUpStore(inner);
    const created = await store.create(key, { v: 1 });
    await store.update(key, { v: 2 }, created.meta.version);
    await store.close();
    expect(inner.calls).toEqual([]);
    expect((await inner.get(key))?.spec).toEqual({ v: 2 });
  });
});
