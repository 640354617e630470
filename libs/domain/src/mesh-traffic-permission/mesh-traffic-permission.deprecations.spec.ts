import { meshTrafficPermissionDeprecations } from './mesh-traffic-permission.deprecations';
import type { MeshTrafficPermissionSpec } from './mesh-traffic-permission.types';

describe('meshTrafficPermissionDeprecations', () => {
  it('warns about from, MeshService clients and a top-level kind Dataplane labels replace, as Kuma 2.14', () => {
    const spec: MeshTrafficPermissionSpec = {
      targetRef: { kind: 'MeshServiceSubset', name: 'backend', tags: { version: 'v1' } },
      from: [
        { targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } },
        { targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } },
      ],
    };
    expect(meshTrafficPermissionDeprecations(spec)).toEqual([
      "'from' field is deprecated and will be removed in 3.0, use 'rules' with MeshIdentity (spiffeId) instead",
      "MeshService value for 'from[].targetRef.kind' is deprecated, use MeshSubset with 'kuma.io/service' instead",
      "MeshServiceSubset value for 'targetRef.kind' is deprecated, use Dataplane with labels instead",
    ]);
  });

  it('has nothing to say about rules on a Mesh or Dataplane targetRef', () => {
    const rules = [
      { default: { allow: [{ spiffeID: { type: 'Exact' as const, value: 'spiffe://m/web' } }] } },
    ];
    expect(meshTrafficPermissionDeprecations({ targetRef: { kind: 'Mesh' }, rules })).toEqual([]);
    expect(
      meshTrafficPermissionDeprecations({ targetRef: { kind: 'Dataplane', labels: { app: 'web' } }, rules }),
    ).toEqual([]);
  });
});
