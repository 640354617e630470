import { ResourceConflictError, ValidationError } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store';
import { FakeClock } from '@meshtls/util';
import { ApplyResourceUseCase } from './apply-resource.use-case';

const meshDoc = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'Mesh', name, ...extra });
const dpDoc = (mesh: string, name: string) => ({
  type: 'Dataplane',
  mesh,
  name,
  networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] },
});

function violationsOf(error: unknown) {
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).violations;
}

describe('ApplyResourceUseCase', () => {
  let store: MemoryResourceStore;
  let apply: ApplyResourceUseCase;

  beforeEach(() => {
    store = new MemoryResourceStore(new FakeClock());
    apply = new ApplyResourceUseCase(store);
  });

  it('creates, then updates the same resource', async () => {
    const first = await apply.execute({
      target: { type: 'Mesh', name: 'default' },
      document: meshDoc('default'),
    });
    expect(first.created).toBe(true);
    const second = await apply.execute({
      target: { type: 'Mesh', name: 'default' },
      document: meshDoc('default', { mtls: { backends: [{ name: 'ca-1', type: 'builtin' }] } }),
    });
    expect(second.created).toBe(false);
    expect(second.record.meta.version).toBeGreaterThan(first.record.meta.version);
    expect((await store.get({ type: 'Mesh', name: 'default' }))?.spec).toEqual({
      mtls: { backends: [{ name: 'ca-1', type: 'builtin' }] },
    });
  });

  it('accepts what GET returned (read-only timestamps included)', async () => {
    const document = { ...meshDoc('default'), creationTime: '2020-01-01T00:00:00Z', modificationTime: 'x' };
    await expect(
      apply.execute({ target: { type: 'Mesh', name: 'default' }, document }),
    ).resolves.toMatchObject({
      created: true,
    });
  });

  it('refuses a body whose name or type differs from the URL, storing nothing', async () => {
    const error = await apply
      .execute({ target: { type: 'Mesh', name: 'a' }, document: meshDoc('b') })
      .catch((e: unknown) => e);
    expect(violationsOf(error)).toEqual([
      { field: 'name', message: 'name from the URL has to be the same as in body' },
    ]);
    const typeError = await apply
      .execute({ target: { type: 'Secret', mesh: 'x', name: 'a' }, document: meshDoc('a') })
      .catch((e: unknown) => e);
    expect(violationsOf(typeError).map((v) => v.field)).toEqual(['type', 'mesh']);
    expect((await store.list('Mesh')).total).toBe(0);
  });

  it('refuses a mesh-scoped resource in a mesh that does not exist', async () => {
    const error = await apply
      .execute({
        target: { type: 'Dataplane', mesh: 'nowhere', name: 'dp-1' },
        document: dpDoc('nowhere', 'dp-1'),
      })
      .catch((e: unknown) => e);
    expect(violationsOf(error)).toEqual([{ field: 'mesh', message: 'mesh of name "nowhere" is not found' }]);
  });

  it('turns a concurrent update into a conflict, never a lost update', async () => {
    await apply.execute({ target: { type: 'Mesh', name: 'default' }, document: meshDoc('default') });
    const target = { type: 'Mesh' as const, name: 'default' };
    const results = await Promise.allSettled([
      apply.execute({
        target,
        document: meshDoc('default', { mtls: { backends: [{ name: 'a', type: 'builtin' }] } }),
      }),
      apply.execute({
        target,
        document: meshDoc('default', { mtls: { backends: [{ name: 'b', type: 'builtin' }] } }),
      }),
    ]);
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toBeInstanceOf(ResourceConflictError);
    const winner = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{
      record: { spec: unknown };
    }>;
    expect((await store.get(target))?.spec).toEqual(winner.value.record.spec);
  });
});
