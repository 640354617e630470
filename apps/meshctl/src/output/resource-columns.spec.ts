import { RESOURCE_COLUMNS, dataplaneTags, meshBackends, meshMtls, targetRef } from './resource-columns';

const now = new Date('2026-01-01T02:00:00Z');

describe('resource columns', () => {
  const mesh = {
    type: 'Mesh',
    name: 'default',
    creationTime: '2026-01-01T00:00:00Z',
    mtls: {
      enabledBackend: 'ca-2',
      backends: [
        { name: 'ca-1', type: 'builtin' },
        { name: 'ca-2', type: 'provided' },
      ],
    },
  };

  it('shows a mesh with its enabled backend as type/name and every backend', () => {
    expect(RESOURCE_COLUMNS.Mesh.row(mesh, now)).toEqual(['default', 'provided/ca-2', 'ca-1,ca-2', '2h']);
  });

  it('shows mTLS off without an enabled backend', () => {
    expect(meshMtls({ mtls: { enabledBackend: '', backends: [{ name: 'ca-1', type: 'builtin' }] } })).toBe(
      'off',
    );
    expect(meshMtls({})).toBe('off');
    expect(meshBackends({})).toBe('-');
  });

  it('shows a dataplane address and the tags of all inbounds, several values joined', () => {
    const row = RESOURCE_COLUMNS.Dataplane.row(
      {
        mesh: 'default',
        name: 'web-1',
        creationTime: '2026-01-01T01:59:30Z',
        networking: {
          address: '10.0.0.7',
          inbound: [
            { port: 8080, tags: { 'kuma.io/service': 'web', version: 'v1' } },
            { port: 9090, tags: { 'kuma.io/service': 'admin' } },
          ],
        },
      },
      now,
    );
    expect(row).toEqual(['default', 'web-1', '10.0.0.7', 'kuma.io/service=admin,web version=v1', '30s']);
  });

  it('includes gateway tags and shows - for a dataplane without tags', () => {
    expect(dataplaneTags({ gateway: { tags: { 'kuma.io/service': 'edge' } } })).toBe('kuma.io/service=edge');
    expect(dataplaneTags({})).toBe('-');
  });

  it('describes a targetRef by kind, name and tags; none means the whole mesh', () => {
    expect(targetRef({ kind: 'MeshService', name: 'web' })).toBe('MeshService/web');
    expect(targetRef({ kind: 'MeshSubset', tags: { version: 'v1', app: 'a' } })).toBe(
      'MeshSubset[app=a,version=v1]',
    );
    expect(targetRef(undefined)).toBe('Mesh');
    const row = RESOURCE_COLUMNS.MeshTrafficPermission.row(
      { mesh: 'm', name: 'allow', spec: { targetRef: { kind: 'Mesh' } } },
      now,
    );
    expect(row).toEqual(['m', 'allow', 'Mesh', '-']);
  });

  it('has the headers each type is documented with', () => {
    expect(RESOURCE_COLUMNS.Secret.headers).toEqual(['MESH', 'NAME', 'AGE']);
    expect(RESOURCE_COLUMNS.GlobalSecret.headers).toEqual(['NAME', 'AGE']);
    expect(RESOURCE_COLUMNS.Dataplane.headers).toEqual(['MESH', 'NAME', 'ADDRESS', 'TAGS', 'AGE']);
    expect(RESOURCE_COLUMNS.MeshTrafficPermission.headers).toEqual(['MESH', 'NAME', 'TARGETREF', 'AGE']);
  });
});
