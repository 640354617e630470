import {
  ApplyResourceUseCase,
  DeleteResourceUseCase,
  ResourceQueries,
  type MeshCaGateway,
} from '@meshtls/application';
import type { ApiCaller } from '@meshtls/contracts';
import { RESOURCE_DESCRIPTORS } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import type { FastifyRequest } from 'fastify';
import type { AccessSettings } from '../access/access-policy';
import { ResourceHttpService } from './resource-http.service';

const TOKEN = 'admin-token-of-the-test-0123456789';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nSEVMTE8tUFJJVkFURS1LRVk=\n-----END PRIVATE KEY-----\n';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
const meshSpec = {
  mtls: {
    enabledBackend: 'corp',
    backends: [
      {
        name: 'corp',
        type: 'provided',
        conf: { cert: { inlineString: CERT_PEM }, key: { inlineString: KEY_PEM } },
      },
    ],
  },
};

/** The parts of a Fastify request the service reads. */
function request(
  method: string,
  options: { remoteAddress?: string; host?: string; token?: string; body?: unknown } = {},
): FastifyRequest {
  return {
    method,
    url: '/meshes',
    query: {},
    protocol: 'http',
    host: options.host ?? 'localhost:5681',
    body: options.body,
    socket: { remoteAddress: options.remoteAddress ?? '127.0.0.1' },
    headers: {
      host: options.host ?? 'localhost:5681',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
  } as unknown as FastifyRequest;
}

async function service(
  access: AccessSettings,
  ca: { warnings?: readonly string[]; violations?: { field: string; message: string }[] } = {},
) {
  const store = new MemoryResourceStore(new FakeClock('2026-06-01T00:00:00Z'));
  await store.create({ type: 'Mesh', name: 'default' }, meshSpec);
  const callers: (ApiCaller | undefined)[] = [];
  const gateway: MeshCaGateway = {
    validate: async (_mesh, _mtls, caller) => {
      callers.push(caller);
      return { violations: ca.violations ?? [], warnings: [...(ca.warnings ?? [])] };
    },
    ensure: async () => undefined,
  };
  const http = new ResourceHttpService(
    access,
    new ResourceQueries(store),
    new ApplyResourceUseCase(store, gateway),
    new DeleteResourceUseCase(store),
  );
  return { http, callers };
}

const keyIn = (mesh: Record<string, unknown>) =>
  (mesh as typeof meshSpec).mtls.backends[0]!.conf.key as { inlineString: string };

describe('ResourceHttpService: a provided CA key held inline', () => {
  it('is redacted in every read that is not the admin’s: one Mesh and the list', async () => {
    const { http } = await service({ mode: 'distributed', adminToken: TOKEN });
    const anonymous = request('GET', { remoteAddress: '10.0.0.7' });
    const one = await http.get(anonymous, { type: 'Mesh', name: 'default' });
    const list = await http.list(anonymous, RESOURCE_DESCRIPTORS.Mesh);
    for (const mesh of [one, list.items[0]!]) {
      expect(keyIn(mesh)).toEqual({ inlineString: '[redacted]' });
      expect(JSON.stringify(mesh)).not.toContain('SEVMTE8tUFJJVkFURS1LRVk=');
      expect(JSON.stringify(mesh)).toContain('Q0VSVA=='); // the certificate is public
    }
  });

  it('is redacted for a local caller of a standalone control plane that names another host', async () => {
    const { http } = await service({ mode: 'standalone' });
    const rebound = request('GET', { host: 'rebound.example:5681' });
    expect(keyIn(await http.get(rebound, { type: 'Mesh', name: 'default' }))).toEqual({
      inlineString: '[redacted]',
    });
    expect(keyIn(await http.get(request('GET'), { type: 'Mesh', name: 'default' }))).toEqual({
      inlineString: KEY_PEM,
    });
  });

  it('is the admin’s to read', async () => {
    const { http } = await service({ mode: 'distributed', adminToken: TOKEN });
    const admin = request('GET', { remoteAddress: '10.0.0.7', token: TOKEN });
    expect(keyIn(await http.get(admin, { type: 'Mesh', name: 'default' }))).toEqual({
      inlineString: KEY_PEM,
    });
    expect(keyIn((await http.list(admin, RESOURCE_DESCRIPTORS.Mesh)).items[0]!)).toEqual({
      inlineString: KEY_PEM,
    });
  });
});

describe('ResourceHttpService: apply', () => {
  it('tells the CA validation that the admin asked', async () => {
    const { http, callers } = await service({ mode: 'distributed', adminToken: TOKEN });
    const body = { type: 'Mesh', name: 'default', ...meshSpec };
    const result = await http.put(request('PUT', { token: TOKEN, body }), { type: 'Mesh', name: 'default' });
    expect(result.status).toBe(200);
    expect(callers).toEqual(['admin']);
  });

  it('answers {} as Kuma, and warnings only when there are some', async () => {
    const body = { type: 'Mesh', name: 'default', ...meshSpec };
    const plain = await service({ mode: 'standalone' });
    expect((await plain.http.put(request('PUT', { body }), { type: 'Mesh', name: 'default' })).body).toEqual(
      {},
    );
    const warned = await service({ mode: 'standalone' }, { warnings: ['RSAbits 1024 is weak'] });
    expect((await warned.http.put(request('PUT', { body }), { type: 'Mesh', name: 'default' })).body).toEqual(
      {
        warnings: ['RSAbits 1024 is weak'],
      },
    );
  });
});

describe('ResourceHttpService: errors under the title of the step that failed, as Kuma', () => {
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );
  const secret = { type: 'Secret', mesh: 'default', name: 's', data: 'eA==' };

  it('names the mesh of the URL first, for every method', async () => {
    const { http } = await service({ mode: 'standalone' });
    const key = { type: 'Secret' as const, mesh: 'nowhere', name: 's' };
    for (const error of [
      await failure(http.get(request('GET'), key)),
      await failure(http.list(request('GET'), RESOURCE_DESCRIPTORS.Secret, 'nowhere')),
      await failure(http.put(request('PUT', { body: { ...secret, mesh: 'nowhere' } }), key)),
      await failure(http.delete(request('DELETE'), key)),
    ]) {
      expect(error).toMatchObject({ status: 404, title: 'Failed to retrieve Mesh', detail: 'Not found' });
    }
  });

  it('titles a bad body "Could not process a resource" and a missing resource by its operation', async () => {
    const { http } = await service({ mode: 'standalone' });
    const key = { type: 'Secret' as const, mesh: 'default', name: 's' };
    expect(
      await failure(http.put(request('PUT', { body: { ...secret, name: 'other' } }), key)),
    ).toMatchObject({
      status: 400,
      title: 'Could not process a resource',
      causes: [{ field: 'name', message: 'name from the URL has to be the same as in body' }],
    });
    expect(await failure(http.get(request('GET'), key))).toMatchObject({
      status: 404,
      title: 'Could not retrieve a resource',
    });
    expect(await failure(http.delete(request('DELETE'), key))).toMatchObject({
      status: 404,
      title: 'Could not delete a resource',
    });
  });

  it('titles a refusal of the Mesh after its body was read by creating or updating', async () => {
    const { http: refusing } = await service(
      { mode: 'standalone' },
      { violations: [{ field: 'mtls.backends[0]', message: 'bad' }] },
    );
    const update = { type: 'Mesh', name: 'default', ...meshSpec };
    expect(
      await failure(refusing.put(request('PUT', { body: update }), { type: 'Mesh', name: 'default' })),
    ).toMatchObject({
      status: 400,
      title: 'Failed to update a resource',
    });
    const create = { type: 'Mesh', name: 'fresh', ...meshSpec };
    expect(
      await failure(refusing.put(request('PUT', { body: create }), { type: 'Mesh', name: 'fresh' })),
    ).toMatchObject({
      status: 400,
      title: 'Failed to create a resource',
    });
  });

  it('pages with Kuma’s next link and refuses a bad size with Kuma’s body', async () => {
    const { http } = await service({ mode: 'standalone' });
    const paged = {
      ...request('GET'),
      url: '/meshes?size=1&extra=kept',
      query: { size: '1' },
    } as unknown as FastifyRequest;
    await http.put(request('PUT', { body: { type: 'Mesh', name: 'second' } }), {
      type: 'Mesh',
      name: 'second',
    });
    expect((await http.list(paged, RESOURCE_DESCRIPTORS.Mesh)).next).toBe(
      'http://localhost:5681/meshes?extra=kept&offset=1&size=1',
    );
    const bad = { ...request('GET'), query: { size: '0' } } as unknown as FastifyRequest;
    expect(await failure(http.list(bad, RESOURCE_DESCRIPTORS.Mesh))).toMatchObject({
      status: 400,
      title: 'Could not retrieve resources',
      detail: 'Invalid page size',
      causes: [{ field: 'size', message: 'must be greater than 0' }],
    });
  });
});
