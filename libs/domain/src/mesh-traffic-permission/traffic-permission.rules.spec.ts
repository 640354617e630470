import type { DataplaneSpec } from '../dataplane/dataplane.types';
import type {
  MeshTrafficPermissionRule,
  MeshTrafficPermissionSpec,
  TargetRef,
  TrafficAction,
} from './mesh-traffic-permission.types';
import {
  clientIdentityOf,
  dataplanesOverPermissionLimit,
  decideTraffic,
  permissionsFor,
  type ClientIdentity,
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
  ...from: [TargetRef, TrafficAction][]
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

  it('reads kuma:// tags whose names hold slashes: the value is after the last one', () => {
    const id = clientIdentityOf('m', [
      'spiffe://m/web',
      'kuma://kuma.io/service/web',
      'kuma://kuma.io/protocol/http',
      'kuma://k8s.kuma.io/namespace/shop',
    ]);
    // spiffe://m/web and kuma://kuma.io/service/web are the same identity: one service, not two.
    expect([...id!.tags.get('kuma.io/service')!]).toEqual(['web']);
    expect([...id!.tags.get('kuma.io/protocol')!]).toEqual(['http']);
    expect([...id!.tags.get('k8s.kuma.io/namespace')!]).toEqual(['shop']);
    expect([...id!.tags.keys()].sort()).toEqual([
      'k8s.kuma.io/namespace',
      'kuma.io/protocol',
      'kuma.io/service',
    ]);
    expect([...id!.spiffeIds]).toEqual(['spiffe://m/web']);
  });

  it('gives no identity to a certificate without a service of this mesh', () => {
    expect(clientIdentityOf('m', ['kuma://kuma.io/service/web', 'spiffe://other/web'])).toBeUndefined();
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
      rule: { policy: 'only-api', entry: 'from[0]' },
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
      rule: { policy: 'deny-web', entry: 'from[0]' },
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
      rule: { policy: 'shadow', entry: 'from[0]' },
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

describe('decideTraffic with rules (Kuma 2.14)', () => {
  const rules = (
    name: string,
    targetRef: TargetRef,
    conf: MeshTrafficPermissionRule['default'],
  ): NamedPermission => ({ name, spec: { targetRef, rules: [{ default: conf }] } });
  const exact = (value: string) => ({ spiffeID: { type: 'Exact' as const, value } });
  const prefix = (value: string) => ({ spiffeID: { type: 'Prefix' as const, value } });
  const webAdmin = client('spiffe://m/web-admin');

  it('allows an Exact SPIFFE ID only, and a Prefix every ID starting with it', () => {
    const onlyWeb = rules('only-web', { kind: 'Mesh' }, { allow: [exact('spiffe://m/web')] });
    expect(decideTraffic([onlyWeb], backend, web)).toEqual({
      allowed: true,
      action: 'Allow',
      rule: { policy: 'only-web', entry: 'rules[0].allow[0]' },
      shadowDeny: false,
    });
    expect(decideTraffic([onlyWeb], backend, webAdmin).allowed).toBe(false);
    expect(decideTraffic([onlyWeb], backend, api)).toEqual({
      allowed: false,
      action: 'Deny',
      shadowDeny: false,
    });
    const webStar = rules('web-star', { kind: 'Mesh' }, { allow: [prefix('spiffe://m/web')] });
    expect(decideTraffic([webStar], backend, web).allowed).toBe(true);
    expect(decideTraffic([webStar], backend, webAdmin).allowed).toBe(true);
    expect(decideTraffic([webStar], backend, api).allowed).toBe(false);
  });

  it('a deny matcher beats an allow matcher, of the same policy or of another, whatever their order', () => {
    // Kuma: "more specific deny prefixes precede broader allow prefixes across merged policies".
    const allowMesh = rules('a-allow', { kind: 'Mesh' }, { allow: [prefix('spiffe://m')] });
    const denyWebAdmin = rules('b-deny', { kind: 'Mesh' }, { deny: [prefix('spiffe://m/web-')] });
    for (const permissions of [
      [allowMesh, denyWebAdmin],
      [denyWebAdmin, allowMesh],
    ]) {
      expect(decideTraffic(permissions, backend, webAdmin)).toMatchObject({
        allowed: false,
        action: 'Deny',
        rule: { policy: 'b-deny', entry: 'rules[0].deny[0]' },
      });
      expect(decideTraffic(permissions, backend, web).allowed).toBe(true);
    }
    const both = rules(
      'both',
      { kind: 'Mesh' },
      { allow: [exact('spiffe://m/web')], deny: [exact('spiffe://m/web')] },
    );
    expect(decideTraffic([both], backend, web).allowed).toBe(false);
  });

  it('allowWithShadowDeny lets in and marks the connection for the would-be-denied log', () => {
    const shadow = rules('shadow', { kind: 'Mesh' }, { allowWithShadowDeny: [prefix('spiffe://m/')] });
    expect(decideTraffic([shadow], backend, api)).toEqual({
      allowed: true,
      action: 'AllowWithShadowDeny',
      rule: { policy: 'shadow', entry: 'rules[0].allowWithShadowDeny[0]' },
      shadowDeny: true,
    });
  });

  it('once a policy with rules selects the inbound, every from is ignored there', () => {
    const fromAllowsAll = mtp('from-all', { kind: 'Mesh' }, [{ kind: 'Mesh' }, 'Allow']);
    const rulesForBackend = rules(
      'rules-backend',
      { kind: 'MeshService', name: 'backend' },
      {
        allow: [exact('spiffe://m/web')],
      },
    );
    expect(decideTraffic([fromAllowsAll, rulesForBackend], backend, web).allowed).toBe(true);
    expect(decideTraffic([fromAllowsAll, rulesForBackend], backend, api)).toEqual({
      allowed: false,
      action: 'Deny',
      shadowDeny: false,
    });
    // On an inbound the rules do not select, from still decides.
    const other: ServerInbound = { dataplane: 'other-1', tags: { 'kuma.io/service': 'other' } };
    expect(decideTraffic([fromAllowsAll, rulesForBackend], other, api).allowed).toBe(true);
  });

  it('an SNI matcher matches the name the client sent, and with a SPIFFE ID both must match', () => {
    const sni = { sni: { type: 'Exact' as const, value: 'backend.mesh' } };
    const withSni = rules('sni', { kind: 'Mesh' }, { allow: [{ ...exact('spiffe://m/web'), ...sni }] });
    const sniOnly = rules('sni-only', { kind: 'Mesh' }, { allow: [sni] });
    const sent = (id: ClientIdentity, serverName?: string) => ({ ...id, serverName });
    expect(decideTraffic([withSni], backend, sent(web, 'backend.mesh')).allowed).toBe(true);
    expect(decideTraffic([withSni], backend, sent(api, 'backend.mesh')).allowed).toBe(false);
    expect(decideTraffic([withSni], backend, sent(web, 'other.mesh')).allowed).toBe(false);
    expect(decideTraffic([withSni], backend, sent(web)).allowed).toBe(false);
    expect(decideTraffic([sniOnly], backend, sent(api, 'backend.mesh')).allowed).toBe(true);
    expect(decideTraffic([sniOnly], backend, sent(api)).allowed).toBe(false);
  });
});

describe('decideTraffic selections of Kuma 2.14', () => {
  const allowFromMesh = (name: string, targetRef: TargetRef) =>
    mtp(name, targetRef, [{ kind: 'Mesh' }, 'Allow']);
  const admin: ServerInbound = {
    dataplane: 'backend-1',
    tags: { 'kuma.io/service': 'backend-admin' },
    labels: { team: 'core', env: 'prod' },
    section: 'admin',
  };
  const main: ServerInbound = { ...admin, tags: backend.tags, section: '8080' };

  it('MeshServiceSubset selects the servers of the service with every tag, and such clients', () => {
    const v2 = allowFromMesh('v2', { kind: 'MeshServiceSubset', name: 'backend', tags: { version: 'v2' } });
    const v1 = allowFromMesh('v1', { kind: 'MeshServiceSubset', name: 'backend', tags: { version: 'v1' } });
    expect(decideTraffic([v2], backend, web).allowed).toBe(true);
    expect(decideTraffic([v1], backend, web).allowed).toBe(false);
    const fromCoreWeb = mtp('core-web', { kind: 'Mesh' }, [
      { kind: 'MeshServiceSubset', name: 'web', tags: { team: 'core' } },
      'Allow',
    ]);
    expect(decideTraffic([fromCoreWeb], backend, web).allowed).toBe(true);
    expect(decideTraffic([fromCoreWeb], backend, client('spiffe://m/web')).allowed).toBe(false);
    // More specific than MeshService: a Deny for web v-core beats an Allow for web.
    const denyCoreWeb = mtp('deny-core-web', { kind: 'Mesh' }, [
      { kind: 'MeshServiceSubset', name: 'web', tags: { team: 'core' } },
      'Deny',
    ]);
    const allowWeb = mtp('allow-web', { kind: 'Mesh' }, [{ kind: 'MeshService', name: 'web' }, 'Allow']);
    expect(decideTraffic([denyCoreWeb, allowWeb], backend, web).allowed).toBe(false);
    expect(decideTraffic([denyCoreWeb, allowWeb], backend, client('spiffe://m/web')).allowed).toBe(true);
  });

  it('Dataplane by labels selects the dataplanes holding every label; none when it has no labels', () => {
    const core = allowFromMesh('core', { kind: 'Dataplane', labels: { team: 'core' } });
    const coreDev = allowFromMesh('core-dev', { kind: 'Dataplane', labels: { team: 'core', env: 'dev' } });
    expect(decideTraffic([core], admin, web).allowed).toBe(true);
    expect(decideTraffic([coreDev], admin, web).allowed).toBe(false);
    expect(decideTraffic([core], backend, web).allowed).toBe(false);
    // Kind Dataplane with neither name nor labels: every dataplane.
    expect(decideTraffic([allowFromMesh('all', { kind: 'Dataplane' })], backend, web).allowed).toBe(true);
  });

  it('proxyTypes: a sidecar is selected unless the policy is for gateways only', () => {
    const sidecars = allowFromMesh('sidecars', { kind: 'Mesh', proxyTypes: ['Sidecar'] });
    const gateways = allowFromMesh('gateways', { kind: 'MeshSubset', tags: {}, proxyTypes: ['Gateway'] });
    expect(decideTraffic([sidecars], backend, web).allowed).toBe(true);
    expect(decideTraffic([gateways], backend, web).allowed).toBe(false);
  });

  it('sectionName selects the inbound of that name, or of that port when it has none', () => {
    const adminOnly = allowFromMesh('admin-only', {
      kind: 'Dataplane',
      name: 'backend-1',
      sectionName: 'admin',
    });
    expect(decideTraffic([adminOnly], admin, web).allowed).toBe(true);
    expect(decideTraffic([adminOnly], main, web).allowed).toBe(false);
    const byPort = allowFromMesh('by-port', {
      kind: 'Dataplane',
      labels: { team: 'core' },
      sectionName: '8080',
    });
    expect(decideTraffic([byPort], main, web).allowed).toBe(true);
    expect(decideTraffic([byPort], admin, web).allowed).toBe(false);
  });

  it('between Dataplane policies: by name beats by labels, with a sectionName beats without', () => {
    const byLabels = mtp('a', { kind: 'Dataplane', labels: { team: 'core' } }, [{ kind: 'Mesh' }, 'Deny']);
    const byName = mtp('b', { kind: 'Dataplane', name: 'backend-1' }, [{ kind: 'Mesh' }, 'Allow']);
    expect(decideTraffic([byName, byLabels], admin, web).allowed).toBe(true);
    const byNameDeny = mtp('a', { kind: 'Dataplane', name: 'backend-1' }, [{ kind: 'Mesh' }, 'Deny']);
    const byLabelsAllow = mtp('b', { kind: 'Dataplane', labels: { team: 'core' } }, [
      { kind: 'Mesh' },
      'Allow',
    ]);
    expect(decideTraffic([byNameDeny, byLabelsAllow], admin, web).allowed).toBe(false);
    const sectionAllow = mtp('a', { kind: 'Dataplane', sectionName: 'admin' }, [{ kind: 'Mesh' }, 'Allow']);
    const wholeDeny = mtp('b', { kind: 'Dataplane', name: 'backend-1' }, [{ kind: 'Mesh' }, 'Deny']);
    expect(decideTraffic([sectionAllow, wholeDeny], admin, web).allowed).toBe(true);
    expect(decideTraffic([sectionAllow, wholeDeny], main, web).allowed).toBe(false);
  });

  it('permissionsFor sends a dataplane the policies selecting it by labels or by an inbound name', () => {
    const spec: DataplaneSpec = {
      labels: { team: 'core' },
      networking: {
        address: '10.0.0.2',
        inbound: [
          { port: 8080, tags: { 'kuma.io/service': 'backend' } },
          { port: 9090, name: 'admin', tags: { 'kuma.io/service': 'backend-admin' } },
        ],
      },
    };
    const selected = permissionsFor(
      [
        allowFromMesh('core', { kind: 'Dataplane', labels: { team: 'core' } }),
        allowFromMesh('edge', { kind: 'Dataplane', labels: { team: 'edge' } }),
        allowFromMesh('admin', { kind: 'Dataplane', sectionName: 'admin' }),
        allowFromMesh('metrics', { kind: 'Dataplane', sectionName: 'metrics' }),
        allowFromMesh('port', { kind: 'Dataplane', sectionName: '8080' }),
      ],
      'backend-1',
      spec,
    );
    expect(selected.map((p) => p.name)).toEqual(['admin', 'core', 'port']);
  });
});
