import { ResourceNotFoundError, ValidationError } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { DeleteResourceUseCase } from './delete-resource.use-case';

describe('DeleteResourceUseCase', () => {
  it('deletes a mesh with everything inside it, and nothing of other meshes', async () => {
    const store = new MemoryResourceStore(new FakeClock());
    for (const mesh of ['a', 'b']) {
      await store.create({ type: 'Mesh', name: mesh }, {});
      await store.create({ type: 'Secret', mesh, name: 's' }, { data: 'eA==' });
      await store.create(
        { type: 'MeshTrafficPermission', mesh, name: 'p' },
        { targetRef: { kind: 'Mesh' }, from: [] },
      );
    }
    await new DeleteResourceUseCase(store).execute({ type: 'Mesh', name: 'a' });
    expect(await store.get({ type: 'Mesh', name: 'a' })).toBeUndefined();
    expect((await store.list('Secret', { mesh: 'a' })).total).toBe(0);
    expect((await store.list('MeshTrafficPermission', { mesh: 'a' })).total).toBe(0);
    expect((await store.list('Secret', { mesh: 'b' })).total).toBe(1);
    expect(await store.get({ type: 'Mesh', name: 'b' })).toBeDefined();
  });

  it("refuses a mesh with dataplanes attached, with Kuma's violation, and deletes nothing", async () => {
    const store = new MemoryResourceStore(new FakeClock());
    await store.create({ type: 'Mesh', name: 'a' }, {});
    await store.create({ type: 'Secret', mesh: 'a', name: 's' }, { data: 'eA==' });
    await store.create({ type: 'Dataplane', mesh: 'a', name: 'web' }, { networking: {} });
    const error = await new DeleteResourceUseCase(store)
      .execute({ type: 'Mesh', name: 'a' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe('Resource is not valid');
    expect((error as ValidationError).violations).toEqual([
      { field: 'mesh', message: 'unable to delete mesh, there are still some dataplanes attached' },
    ]);
    expect(await store.get({ type: 'Mesh', name: 'a' })).toBeDefined();
    expect((await store.list('Secret', { mesh: 'a' })).total).toBe(1);
    await store.delete({ type: 'Dataplane', mesh: 'a', name: 'web' });
    await new DeleteResourceUseCase(store).execute({ type: 'Mesh', name: 'a' });
    expect(await store.get({ type: 'Mesh', name: 'a' })).toBeUndefined();
  });

  it('answers not found for a missing resource', async () => {
    const store = new MemoryResourceStore(new FakeClock());
    await expect(
      new DeleteResourceUseCase(store).execute({ type: 'Mesh', name: 'x' }),
    ).rejects.toBeInstanceOf(ResourceNotFoundError);
  });
});

describe('DeleteResourceUseCase on Secrets in use', () => {
  it("refuses to delete a Secret an mTLS backend uses, with Kuma's message", async () => {
    const store = new MemoryResourceStore(new FakeClock());
    await store.create(
      { type: 'Mesh', name: 'm' },
      { mtls: { enabledBackend: 'b', backends: [{ name: 'b', type: 'builtin' }] } },
    );
    const key = { type: 'Secret' as const, mesh: 'm', name: 'm.ca-builtin-key-b' };
    await store.create(key, { data: 'eA==' });
    const error = await new DeleteResourceUseCase(store).execute(key).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'The secret "m.ca-builtin-key-b" that you are trying to remove is currently in use in Mesh "m" in mTLS backend "b". ' +
        'Please remove the reference from the "b" backend before removing the secret.',
    );
    expect(await store.get(key)).toBeDefined();
    await store.create({ type: 'Secret', mesh: 'm', name: 'unused' }, { data: 'eA==' });
    await new DeleteResourceUseCase(store).execute({ type: 'Secret', mesh: 'm', name: 'unused' });
  });
});
