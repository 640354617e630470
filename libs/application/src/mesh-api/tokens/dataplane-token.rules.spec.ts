import type { DataplaneSpec } from '@meshtls/domain';
import { DataplaneTokenError, type DataplaneTokenClaims } from '../dataplanes/dataplane-token.port';
import { tokenAllows } from './dataplane-token.rules';

interface TokenBinding {
  readonly name?: string;
  readonly mesh?: string;
  readonly tags?: Record<string, string[]>;
  readonly workload?: string;
}

const claims = (binding: TokenBinding = {}): DataplaneTokenClaims => ({
  mesh: binding.mesh ?? 'default',
  name: binding.name ?? '',
  tags: binding.tags ?? {},
  type: '',
  workload: binding.workload ?? '',
  expiresAt: new Date('2030-01-01T00:00:00Z'),
  keyId: '1',
});
const dataplane = (...inboundTags: Record<string, string>[]): DataplaneSpec => ({
  networking: {
    address: '10.0.0.1',
    inbound: inboundTags.map((tags, i) => ({ port: 8080 + i, tags })),
  },
});
const withLabels = (spec: DataplaneSpec, labels: Record<string, string>): DataplaneSpec =>
  ({ ...spec, labels }) as DataplaneSpec;
const service = (name: string) => ({ 'kuma.io/service': name, 'kuma.io/protocol': 'http' });

/** Kuma's `dp-1`: an inbound of `web` and one of `web-api`. */
const dp1 = dataplane(service('web'), service('web-api'));
/** Kuma's `dp-with-workload`: the same inbounds, labelled `kuma.io/workload: backend`. */
const dpWithWorkload = withLabels(dp1, { 'kuma.io/workload': 'backend' });

function refusal(run: () => void): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DataplaneTokenError);
    expect((error as DataplaneTokenError).refusal).toBe('wrong-dataplane');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

// The cases of Kuma's universal authenticator test (pkg/xds/auth/universal/auth_test.go), as data.
describe('tokenAllows, as Kuma admits dataplanes', () => {
  it.each<[string, TokenBinding, string, DataplaneSpec]>([
    ['bound to mesh', {}, 'dp-1', dp1],
    ['bound to mesh and name', { name: 'dp-1' }, 'dp-1', dp1],
    ['bound to mesh and tags', { tags: { 'kuma.io/service': ['web', 'web-api'] } }, 'dp-1', dp1],
    ['bound to workload', { workload: 'backend' }, 'dp-with-workload', dpWithWorkload],
  ])('admits with a token %s', (_case, binding, name, spec) => {
    expect(() => tokenAllows(claims(binding), 'default', name, spec)).not.toThrow();
  });

  it.each<[string, TokenBinding, string, DataplaneSpec, string]>([
    [
      'different name',
      { name: 'dp-2' },
      'dp-1',
      dp1,
      'proxy name from requestor: dp-1 is different than in token: dp-2',
    ],
    [
      'different mesh',
      { mesh: 'demo', name: 'dp-1' },
      'dp-1',
      dp1,
      'proxy mesh from requestor: default is different than in token: demo',
    ],
    [
      'different tags',
      { tags: { 'kuma.io/service': ['backend'] } },
      'dp-1',
      dp1,
      'which is not allowed with this token. Allowed values in token are ["backend"]',
    ],
    [
      'tag that is absent in dataplane',
      { tags: { 'kuma.io/zone': ['east'] } },
      'dp-1',
      dp1,
      'dataplane has no tag "kuma.io/zone" required by the token',
    ],
    [
      'missing one tag value',
      { tags: { 'kuma.io/service': ['web'] } },
      'dp-1',
      dp1,
      'dataplane contains tag "kuma.io/service" with value "web-api" which is not allowed with this token. Allowed values in token are ["web"]',
    ],
    [
      'different workload',
      { workload: 'frontend' },
      'dp-with-workload',
      dpWithWorkload,
      'dataplane workload "backend" is not allowed with this token. Allowed workload in token is "frontend"',
    ],
    [
      'workload when dataplane has no workload label',
      { workload: 'backend' },
      'dp-1',
      dp1,
      'dataplane has no workload label required by the token',
    ],
  ])('refuses a token with %s', (_case, binding, name, spec, message) => {
    expect(refusal(() => tokenAllows(claims(binding), 'default', name, spec))).toContain(message);
  });
});

describe('tokenAllows, multi-valued tags', () => {
  const webOrApi = claims({ name: 'dp-1', tags: { 'kuma.io/service': ['api', 'web'] } });

  it('admits a dataplane carrying any of the values, or several of them', () => {
    expect(() => tokenAllows(webOrApi, 'default', 'dp-1', dataplane(service('web')))).not.toThrow();
    expect(() => tokenAllows(webOrApi, 'default', 'dp-1', dataplane(service('api')))).not.toThrow();
    expect(() =>
      tokenAllows(webOrApi, 'default', 'dp-1', dataplane(service('api'), service('web'))),
    ).not.toThrow();
  });

  it('refuses a dataplane carrying none of them, naming the inbound and the allowed values', () => {
    expect(refusal(() => tokenAllows(webOrApi, 'default', 'dp-1', dataplane(service('admin'))))).toBe(
      'dataplane contains tag "kuma.io/service" with value "admin" which is not allowed with this token. Allowed values in token are ["api" "web"] (inbound 0, port 8080)',
    );
  });

  it('refuses a dataplane with one allowed inbound and one other (every inbound must be allowed)', () => {
    expect(
      refusal(() => tokenAllows(webOrApi, 'default', 'dp-1', dataplane(service('web'), service('admin')))),
    ).toMatch(/value "admin" .* \(inbound 1, port 8081\)$/);
  });
});

describe('tokenAllows, stricter than Kuma', () => {
  it('refuses an inbound without the tag even when another inbound carries it', () => {
    const token = claims({ tags: { version: ['v1'] } });
    expect(
      refusal(() =>
        tokenAllows(token, 'default', 'dp-1', dataplane({ ...service('web'), version: 'v1' }, service('m'))),
      ),
    ).toBe('dataplane has no tag "version" required by the token on inbound 1 (port 8081)');
  });

  it('refuses a token with tags for a dataplane without inbounds', () => {
    const token = claims({ tags: { 'kuma.io/service': ['web'] } });
    expect(refusal(() => tokenAllows(token, 'default', 'dp-1', dataplane()))).toMatch(/no inbound/);
  });

  it('is not fooled by a tag or label named like an Object.prototype member', () => {
    refusal(() => tokenAllows(claims({ tags: { constructor: ['x'] } }), 'default', 'dp-1', dp1));
    refusal(() =>
      tokenAllows(
        claims({ workload: 'backend' }),
        'default',
        'dp-1',
        withLabels(dp1, {} as Record<string, string>),
      ),
    );
  });
});
