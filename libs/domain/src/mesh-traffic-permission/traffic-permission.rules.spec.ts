import type { DataplaneSpec } from '../dataplane/dataplane.types';
import type { MeshTrafficPermissionSpec, TrafficAction } from './mesh-traffic-permission.types';
import {
  clientIdentityOf,
  dataplanesOverPermissionLimit,
  decideTraffic,
  permissionsFor,
  type NamedPermission,
  type ServerInbound,
} from './traffic-permission.rules';

const backend: ServerInbound = {
  dataplane: 'backend-1',
  tags: { 'kuma.io/service': 'backend', version: 'v2' },
};
const client = (...uris: string[]) => clientIdentityOf('m', uris)!;
const web = client('spiffe://m/web', 'kuma://team/core');
const api = client('spiffe://m/api');

const mtp = (
  name: string,
  targetRef: MeshTrafficPermissionSpec['targetRef'],
  ...from: [MeshTrafficPermissionSpec['from'][number]['targetRef'], TrafficAction][]
): NamedPermission => ({
  name,
  spec: { targetRef, from: from.map(([ref, action]) => ({ targetRef: ref, default: { action } })) },
});

describe('clientIdentityOf', () => {
  it('reads services of this mesh and tags from the SAN URIs, ignoring other meshes', () => {
    const id = clientIdentityOf('m', [
      'spiffe://m/web',
      'spiffe://m/web-admin',
      'spiffe://other/x',
      'kuma://version/v1',
    ]);
    expect([...id!.tags.get('kuma.io/service')!]).toEqual(['web', 'web-admin']);
    expect([...id!.tags.get('version')!]).toEqual(['v1']);
  });

  it('gives no identity to a certificate without a service of this mesh', () => {
    expect(clientIdentityOf('m', ['spiffe://other/web'])).toBeUndefined();
    expect(clientIdentityOf('m', [])).toBeUndefined();
  });
});

describe('decideTraffic', () => {
  it('denies by default: no permission at all, or none that selects this client', () => {
    expect(decideTraffic([], backend, web)).toEqual({ allowed: false, action: 'Deny', shadowDeny: false });
    const onlyApi = mtp('only-api', { kind: 'Mesh' }, [{ kind: 'MeshService', name: 'api' }, 'Allow']);
    expect(decideTraffic([onlyApi], backend, web).allowed).toBe(false);
    expect(decideTraffic([onlyApi], backend, api)).toMatchObject({
      allowed: true,
      rule: { policy: 'only-api', from: 0 },
    });
  });

  it('only applies a policy to the servers its targetRef selects', () => {
    const toOther = mtp('to-other', { kind: 'MeshService', name: 'other' }, [{ kind: 'Mesh' }, 'Allow']);
    const toV2 = mtp('to-v2', { kind: 'MeshSubset', tags: { version: 'v2' } }, [{ kind: 'Mesh' }, 'Allow']);
    const toDp = mtp('to-dp', { kind: 'Dataplane', name: 'backend-2' }, [{ kind: 'Mesh' }, 'Allow']);
    expect(decideTraffic([toOther, toDp], backend, web).allowed).toBe(false);
    expect(decideTraffic([toV2], backend, web).allowed).toBe(true);
  });

  it('lets a more specific from entry override a broader one: Deny for web beats Allow for the mesh', () => {
    const allowAll = mtp('allow-all', { kind: 'Mesh' }, [{ kind: 'Mesh' }, 'Allow']);
    const denyWeb = mtp('deny-web', { kind: 'Mesh' }, [{ kind: 'MeshService', name: 'web' }, 'Deny']);
    expect(decideTraffic([denyWeb, allowAll], backend, web)).toMatchObject({
      allowed: false,
      action: 'Deny',
      rule: { policy: 'deny-web', from: 0 },
    });
    expect(decideTraffic([denyWeb, allowAll], backend, api).allowed).toBe(true);
  });

  it('between equally specific entries, the more specific policy wins, then the later name', () => {
    const meshWide = mtp('a-mesh', { kind: 'Mesh' }, [{ kind: 'MeshService', name: 'web' }, 'Deny']);
    const forBackend = mtp('b-backend', { kind: 'MeshService', name: 'backend' }, [
      { kind: 'MeshService', name: 'web' },
      'Allow',
    ]);
    expect(decideTraffic([forBackend, meshWide], backend, web)).toMatchObject({
      allowed: true,
      rule: { policy: 'b-backend' },
    });
    const z = mtp('z', { kind: 'Mesh' }, [{ kind: 'Mesh' }, 'Deny']);
    const y = mtp('y', { kind: 'Mesh' }, [{ kind: 'Mesh' }, 'Allow']);
    expect(decideTraffic([z, y], backend, web)).toMatchObject({ allowed: false, rule: { policy: 'z' } });
  });

  it('matches MeshSubset clients on every tag of their certificate', () => {
    const core = mtp('core', { kind: 'Mesh' }, [{ kind: 'MeshSubset', tags: { team: 'core' } }, 'Allow']);
    expect(decideTraffic([core], backend, web).allowed).toBe(true);
    expect(decideTraffic([core], backend, api).allowed).toBe(false);
  });

  it('allows AllowWithShadowDeny, marking it for the would-be-denied log', () => {
    const shadow = mtp('shadow', { kind: 'Mesh' }, [{ kind: 'Mesh' }, 'AllowWithShadowDeny']);
    expect(decideTraffic([shadow], backend, web)).toEqual({
      allowed: true,
      action: 'AllowWithShadowDeny',
      rule: { policy: 'shadow', from: 0 },
      shadowDeny: true,
    });
  });
});

describe('permissionsFor', () => {
  const spec: DataplaneSpec = {
    networking: {
      address: '10.0.0.2',
      inbound: [
        { port: 8080, tags: { 'kuma.io/service': 'backend', version: 'v2' } },
        { port: 9090, tags: { 'kuma.io/service': 'backend-admin' } },
      ],
    },
  };
  it('keeps only the policies selecting one of the inbounds, ordered by name', () => {
    const selected = permissionsFor(
      [
        mtp('z-mesh', { kind: 'Mesh' }, [{ kind: 'Mesh' }, 'Allow']),
        mtp('admin', { kind: 'MeshService', name: 'backend-admin' }, [{ kind: 'Mesh' }, 'Deny']),
        mtp('other', { kind: 'MeshService', name: 'web' }, [{ kind: 'Mesh' }, 'Allow']),
        mtp('v1-only', { kind: 'MeshSubset', tags: { version: 'v1' } }, [{ kind: 'Mesh' }, 'Allow']),
        mtp('me', { kind: 'Dataplane', name: 'backend-1' }, [{ kind: 'Mesh' }, 'Allow']),
        mtp('someone', { kind: 'Dataplane', name: 'backend-2' }, [{ kind: 'Mesh' }, 'Allow']),
      ],
      'backend-1',
      spec,
    );
    expect(selected.map((p) => p.name)).toEqual(['admin', 'me', 'z-mesh']);
  });
});

describe('dataplanesOverPermissionLimit', () => {
  const dp = (service: string): DataplaneSpec => ({
    networking: { address: '10.0.0.2', inbound: [{ port: 8080, tags: { 'kuma.io/service': service } }] },
  });
  const toBackend = (i: number) =>
    mtp(`p-${i}`, { kind: 'MeshService', name: 'backend' }, [{ kind: 'Mesh' }, 'Allow']);
  const meshWide = mtp('all', { kind: 'Mesh' }, [{ kind: 'Mesh' }, 'Allow']);
  const dataplanes = [
    { name: 'backend-1', spec: dp('backend') },
    { name: 'web-1', spec: dp('web') },
    { name: 'backend-2', spec: dp('backend') },
  ];

  it('names each dataplane that more permissions than the limit would select, with the count', () => {
    const permissions = [...Array.from({ length: 4 }, (_, i) => toBackend(i)), meshWide];
    expect(dataplanesOverPermissionLimit(permissions, dataplanes, 4)).toEqual([
      { dataplane: 'backend-1', permissions: 5 },
      { dataplane: 'backend-2', permissions: 5 },
    ]);
    expect(dataplanesOverPermissionLimit(permissions, dataplanes, 4, 1)).toEqual([
      { dataplane: 'backend-1', permissions: 5 },
    ]);
  });

  it('passes a mesh where every dataplane is selected at most `limit` times', () => {
    const permissions = [...Array.from({ length: 4 }, (_, i) => toBackend(i)), meshWide];
    expect(dataplanesOverPermissionLimit(permissions, dataplanes, 5)).toEqual([]);
    expect(dataplanesOverPermissionLimit(permissions.slice(1), dataplanes, 4)).toEqual([]);
  });
});
