import { ResourceType, type DataplaneSpec } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { DataplaneTokenService } from '../tokens/dataplane-token.service';
import { tokenAllows } from '../tokens/dataplane-token.rules';
import { StreamRefusedError, StreamStatus } from './dataplane-channel.port';
import { admitDataplane } from './connect-dataplane';

const dataplaneDoc = (service: string, address = '10.0.0.1') => ({
  networking: { address, inbound: [{ port: 8080, tags: { 'kuma.io/service': service } }] },
});

describe('admitDataplane, the token against the Dataplane', () => {
  let store: MemoryResourceStore;
  let tokens: DataplaneTokenService;

  beforeEach(async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    store = new MemoryResourceStore(clock);
    await store.create({ type: ResourceType.Mesh, name: 'default' }, {});
    tokens = new DataplaneTokenService(store, clock);
  });

  const hello = (name: string, token: string, dataplane?: Record<string, unknown>) =>
    admitDataplane(
      {
        type: 'hello',
        mesh: 'default',
        name,
        token,
        session: 'session-1',
        ...(dataplane ? { dataplane } : {}),
      },
      { store, tokens, authorize: tokenAllows },
    );
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: unknown) => {
        expect(error).toBeInstanceOf(StreamRefusedError);
        return error as StreamRefusedError;
      },
    );
  const stored = async (name: string) =>
    (await store.get({ type: ResourceType.Dataplane, mesh: 'default', name }))?.spec as
      | DataplaneSpec
      | undefined;

  it('admits any dataplane of the mesh whose service a name-less, multi-valued token allows', async () => {
    const token = await tokens.issue({ mesh: 'default', tags: { 'kuma.io/service': ['web', 'api'] } });
    await expect(hello('web-1', token, dataplaneDoc('web'))).resolves.toMatchObject({
      spec: dataplaneDoc('web'),
    });
    await expect(hello('api-7', token, dataplaneDoc('api'))).resolves.toMatchObject({
      spec: dataplaneDoc('api'),
    });
  });

  it('refuses a third service and writes nothing of what it refused', async () => {
    const token = await tokens.issue({ mesh: 'default', tags: { 'kuma.io/service': ['web', 'api'] } });
    const error = await refusal(hello('admin-1', token, dataplaneDoc('admin')));
    expect(error.status).toBe(StreamStatus.PermissionDenied);
    expect(error.message).toBe(
      'dataplane token refused (wrong-dataplane): dataplane contains tag "kuma.io/service" with value "admin" which is not allowed with this token. Allowed values in token are ["api" "web"] (inbound 0, port 8080)',
    );
    expect(await stored('admin-1')).toBeUndefined();
  });

  it('never lets a token rewrite a Dataplane it would not admit', async () => {
    const admin = await tokens.issue({ mesh: 'default', name: 'admin-1' });
    await hello('admin-1', admin, dataplaneDoc('admin', '10.0.0.1'));
    const webOnly = await tokens.issue({ mesh: 'default', tags: { 'kuma.io/service': ['web'] } });
    // Same name, the same service, another address: the token does not allow the service, so no write.
    await refusal(hello('admin-1', webOnly, dataplaneDoc('admin', '10.6.6.6')));
    expect(await stored('admin-1')).toEqual(dataplaneDoc('admin', '10.0.0.1'));
  });
});
