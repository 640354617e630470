import { ResourceConflictError, ValidationError, type ResourceType } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store/adapters';
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

  it('refuses replacing the issuing CA backend outright while mTLS is on, and keeps the stored Mesh', async () => {
    const target = { type: 'Mesh', name: 'default' } as const;
    const mtls = (name: string) => ({ enabledBackend: name, backends: [{ name, type: 'builtin' }] });
    await apply.execute({ target, document: meshDoc('default', { mtls: mtls('ca-1') }) });
    await expect(
      apply.execute({ target, document: meshDoc('default', { mtls: mtls('ca-2') }) }),
    ).rejects.toMatchObject({
      violations: [{ field: 'mtls.enabledBackend', message: expect.stringContaining('"ca-1" stays listed') }],
    });
    expect((await store.get(target))?.spec).toEqual({ mtls: mtls('ca-1') });
  });

  it('stores the Kuma Mesh fields it does not act on as given, and warns about each', async () => {
    const kuma = {
      metrics: {
        enabledBackend: 'prom',
        backends: [{ name: 'prom', type: 'prometheus', conf: { port: 5670 } }],
      },
      routing: { zoneEgress: false },
      skipCreatingInitialPolicies: ['*'],
      mtls: { skipValidation: true, unknownSetting: 1 },
    };
    const result = await apply.execute({
      target: { type: 'Mesh', name: 'default' },
      document: meshDoc('default', kuma),
    });
    expect(result.warnings).toEqual([
      'mtls.unknownSetting: unknown field, ignored (not stored)',
      'metrics: stored, not enforced by meshtls',
      'routing: stored, not enforced by meshtls',
      'skipCreatingInitialPolicies: stored, not enforced by meshtls',
    ]);
    const { unknownSetting: _dropped, ...mtls } = kuma.mtls;
    expect((await store.get({ type: 'Mesh', name: 'default' }))?.spec).toEqual({ ...kuma, mtls });
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

  describe('the MeshTrafficPermissions one dataplane may be selected by', () => {
    const mtpDoc = (name: string, service: string) => ({
      type: 'MeshTrafficPermission',
      mesh: 'default',
      name,
      spec: {
        targetRef: { kind: 'MeshService', name: service },
        from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
      },
    });
    const put = (doc: { type: string; mesh: string; name: string }) =>
      apply.execute({
        target: { type: doc.type as ResourceType, mesh: doc.mesh, name: doc.name },
        document: doc,
      });

    beforeEach(async () => {
      apply = new ApplyResourceUseCase(store, undefined, 3);
      await apply.execute({ target: { type: 'Mesh', name: 'default' }, document: meshDoc('default') });
      await put(dpDoc('default', 'web-1'));
      for (let i = 0; i < 3; i++) await put(mtpDoc(`to-web-${i}`, 'web'));
    });

    it('refuses one more permission selecting a dataplane at the limit, naming the dataplane and the limit', async () => {
      const error = await put(mtpDoc('to-web-3', 'web')).catch((e: unknown) => e);
      expect(violationsOf(error)).toEqual([
        {
          field: 'spec.targetRef',
          message:
            'selects dataplane "web-1", which would then be selected by 4 MeshTrafficPermissions: at most 3 MeshTrafficPermissions may select one dataplane (they are all sent to it in one message)',
        },
      ]);
      expect(
        await store.get({ type: 'MeshTrafficPermission', mesh: 'default', name: 'to-web-3' }),
      ).toBeUndefined();
    });

    it('accepts permissions selecting other dataplanes, and updates of those already counted', async () => {
      await expect(put(mtpDoc('to-api', 'api'))).resolves.toMatchObject({ created: true });
      await expect(put(mtpDoc('to-web-0', 'web'))).resolves.toMatchObject({ created: false });
    });

    it('refuses a Dataplane that more permissions than the limit would select', async () => {
      for (let i = 0; i < 3; i++) await put(mtpDoc(`to-api-${i}`, 'api'));
      const dp = (name: string, ...services: string[]) => ({
        ...dpDoc('default', name),
        networking: {
          address: '10.0.0.2',
          inbound: services.map((service, i) => ({ port: 80 + i, tags: { 'kuma.io/service': service } })),
        },
      });
      await expect(put(dp('api-1', 'api'))).resolves.toMatchObject({ created: true });
      const error = await put(dp('both-1', 'api', 'web')).catch((e: unknown) => e);
      expect(violationsOf(error)).toEqual([
        {
          field: 'networking.inbound',
          message: expect.stringMatching(/^would be selected by 6 MeshTrafficPermissions: at most 3 /),
        },
      ]);
    });
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
