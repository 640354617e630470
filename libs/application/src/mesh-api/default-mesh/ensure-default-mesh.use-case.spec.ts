import type { ResourceKey } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { EnsureDefaultMeshUseCase } from './ensure-default-mesh.use-case';

const DEFAULT: ResourceKey = { type: 'Mesh', name: 'default' };

describe('EnsureDefaultMeshUseCase', () => {
  it('creates the default mesh with mTLS off and nothing inside it', async () => {
    const store = new MemoryResourceStore(new FakeClock());
    expect(await new EnsureDefaultMeshUseCase(store).execute()).toBe('created');
    const mesh = await store.get(DEFAULT);
    expect(mesh?.spec).toEqual({});
    for (const type of ['Secret', 'Dataplane', 'MeshTrafficPermission'] as const) {
      expect((await store.list(type, { mesh: 'default' })).total).toBe(0);
    }
  });

  it('leaves an existing default mesh as its owner made it', async () => {
    const store = new MemoryResourceStore(new FakeClock());
    const mtls = { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] };
    const before = await store.create(DEFAULT, { mtls });
    expect(await new EnsureDefaultMeshUseCase(store).execute()).toBe('exists');
    const after = await store.get(DEFAULT);
    expect(after?.spec).toEqual({ mtls });
    expect(after?.meta.version).toBe(before.meta.version);
  });

  it('creates it again once deleted, as every start does', async () => {
    const store = new MemoryResourceStore(new FakeClock());
    const ensure = new EnsureDefaultMeshUseCase(store);
    await ensure.execute();
    await store.delete(DEFAULT);
    expect(await ensure.execute()).toBe('created');
    expect(await store.get(DEFAULT)).toBeDefined();
  });

  it('takes losing the race to another replica as the mesh being there', async () => {
    const store = new MemoryResourceStore(new FakeClock());
    // Another replica creates it between this one's read and its create.
    const racing = Object.create(store) as MemoryResourceStore;
    racing.get = async (key) => {
      const found = await store.get(key);
      await store.create(DEFAULT, {}).catch(() => undefined);
      return found;
    };
    expect(await new EnsureDefaultMeshUseCase(racing).execute()).toBe('exists');
    expect((await store.list('Mesh')).total).toBe(1);
  });

  it('runs many at once: one creates, the others find it, none fails', async () => {
    const store = new MemoryResourceStore(new FakeClock());
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => new EnsureDefaultMeshUseCase(store).execute()),
    );
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'exists')).toHaveLength(4);
  });

  it('passes on any other store failure', async () => {
    const store = new MemoryResourceStore(new FakeClock());
    const failing = Object.create(store) as MemoryResourceStore;
    failing.create = () => Promise.reject(new Error('store unavailable'));
    await expect(new EnsureDefaultMeshUseCase(failing).execute()).rejects.toThrow('store unavailable');
  });
});
