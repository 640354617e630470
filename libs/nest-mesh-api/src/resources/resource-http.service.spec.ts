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

async function service(access: AccessSettings) {
  const store = new MemoryResourceStore(new FakeClock('2026-06-01T00:00:00Z'));
  await store.create({ type: 'Mesh', name: 'default' }, meshSpec);
  const callers: (ApiCaller | undefined)[] = [];
  const gateway: MeshCaGateway = {
    validate: async (_mesh, _mtls, caller) => {
      callers.push(caller);
      return { violations: [], warnings: [] };
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
});
