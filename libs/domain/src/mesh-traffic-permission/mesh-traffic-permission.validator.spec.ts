import { parseResource } from '../universal/parse-resource';
import { violationsOf } from '../test-support/violations-of';

const mtp = (spec: unknown) => ({ type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-all', spec });
const allowFrom = (targetRef: unknown) => ({ targetRef, default: { action: 'Allow' } });
const fromViolations = (from: unknown) => violationsOf(mtp({ targetRef: { kind: 'Mesh' }, from: [from] }));
const topViolations = (targetRef: unknown) =>
  violationsOf(mtp({ targetRef, from: [allowFrom({ kind: 'Mesh' })] }));

describe('MeshTrafficPermission validation', () => {
  it('accepts every supported kind and action and keeps the spec as written', () => {
    const spec = {
      targetRef: { kind: 'MeshService', name: 'backend' },
      from: [
        allowFrom({ kind: 'Mesh' }),
        {
          targetRef: { kind: 'MeshSubset', tags: { 'kuma.io/zone': 'us-east', env: 'dev' } },
          default: { action: 'Deny' },
        },
        { targetRef: { kind: 'MeshService', name: 'web_v1.x' }, default: { action: 'AllowWithShadowDeny' } },
      ],
    };
    expect(parseResource(mtp(spec))).toEqual({
      warnings: [],
      key: { type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-all' },
      spec,
    });
  });

  it.each([
    { kind: 'Mesh' },
    { kind: 'MeshSubset', tags: { env: 'prod' } },
    { kind: 'MeshService', name: 'backend' },
    { kind: 'Dataplane', name: 'web-01' },
  ])('accepts top-level targetRef %j', (targetRef) => {
    expect(() => parseResource(mtp({ targetRef, from: [allowFrom({ kind: 'Mesh' })] }))).not.toThrow();
  });

  it('applies a policy without a top-level targetRef to the whole mesh', () => {
    expect(parseResource(mtp({ from: [allowFrom({ kind: 'Mesh' })] })).spec).toEqual({
      targetRef: { kind: 'Mesh' },
      from: [allowFrom({ kind: 'Mesh' })],
    });
  });

  it('requires spec', () => {
    expect(violationsOf(mtp(undefined))).toEqual([{ field: 'spec', message: 'must be defined' }]);
  });

  it.each([[undefined], [[]]])('requires from or rules (from %j)', (from) => {
    expect(violationsOf(mtp({ targetRef: { kind: 'Mesh' }, from }))).toEqual([
      { field: 'spec', message: "at least one of 'from' or 'rules' has to be defined" },
    ]);
  });

  describe('default.action', () => {
    it.each([{}, { default: {} }, { default: { action: '' } }])('must be defined in %j', (extra) => {
      expect(fromViolations({ targetRef: { kind: 'Mesh' }, ...extra })).toEqual([
        { field: 'spec.from[0].default.action', message: 'must be defined' },
      ]);
    });

    it('must be a known action', () => {
      expect(fromViolations({ targetRef: { kind: 'Mesh' }, default: { action: 'allow' } })).toEqual([
        {
          field: 'spec.from[0].default.action',
          message: '"action" must be one of ["Allow", "Deny", "AllowWithShadowDeny"]',
        },
      ]);
    });
  });

  describe('targetRef', () => {
    it('requires a kind', () => {
      expect(topViolations({})).toEqual([{ field: 'spec.targetRef.kind', message: 'must be defined' }]);
      expect(fromViolations({ default: { action: 'Allow' } })).toEqual([
        { field: 'spec.from[0].targetRef.kind', message: 'must be defined' },
      ]);
    });

    it('refuses kinds not supported at the place', () => {
      expect(topViolations({ kind: 'MeshGateway', name: 'gw' })).toEqual([
        { field: 'spec.targetRef.kind', message: "value 'MeshGateway' is not supported" },
      ]);
      expect(fromViolations(allowFrom({ kind: 'Dataplane', name: 'web-01' }))).toEqual([
        { field: 'spec.from[0].targetRef.kind', message: "value 'Dataplane' is not supported" },
      ]);
    });

    it('kind Mesh takes neither name nor tags', () => {
      expect(topViolations({ kind: 'Mesh', name: 'default', tags: { a: 'b' } })).toEqual([
        { field: 'spec.targetRef.name', message: 'using name with kind Mesh is not yet supported' },
        { field: 'spec.targetRef.tags', message: 'must not be set with kind Mesh' },
      ]);
    });

    it('kind MeshSubset takes no name and checks its tags', () => {
      expect(
        topViolations({ kind: 'MeshSubset', name: 'x', tags: { env: '', 'a b': 'c', v: 'a/b' } }),
      ).toEqual([
        { field: 'spec.targetRef.name', message: 'must not be set with kind MeshSubset' },
        {
          field: 'spec.targetRef.tags["a b"]',
          message: 'tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores',
        },
        { field: 'spec.targetRef.tags["env"]', message: 'tag value must be non-empty' },
        {
          field: 'spec.targetRef.tags["v"]',
          message: 'tag value must consist of alphanumeric characters, dots, dashes and underscores',
        },
      ]);
    });

    it('kind MeshService needs a valid service name and no tags', () => {
      expect(fromViolations(allowFrom({ kind: 'MeshService' }))).toEqual([
        { field: 'spec.from[0].targetRef', message: 'name or labels must be set when kind is MeshService' },
      ]);
      expect(fromViolations(allowFrom({ kind: 'MeshService', name: 'Web', tags: { a: 'b' } }))).toEqual([
        {
          field: 'spec.from[0].targetRef.name',
          message:
            "invalid characters: must consist of lower case alphanumeric characters, '-', '.' and '_'.",
        },
        { field: 'spec.from[0].targetRef.tags', message: 'must not be set with kind MeshService' },
      ]);
    });

    it('kind Dataplane takes a name or labels, not both, and no tags', () => {
      expect(topViolations({ kind: 'Dataplane', tags: { a: 'b' } })).toEqual([
        { field: 'spec.targetRef.tags', message: 'must not be set with kind Dataplane' },
      ]);
      expect(topViolations({ kind: 'Dataplane', name: 'web-01', labels: { team: 'core' } })).toEqual([
        { field: 'spec.targetRef.labels', message: 'either labels or name and namespace must be specified' },
      ]);
      expect(topViolations({ kind: 'Dataplane', labels: { team: 7 } })).toEqual([
        { field: 'spec.targetRef.labels["team"]', message: 'label value must be a string' },
      ]);
    });

    it('labels and sectionName belong to kind Dataplane only', () => {
      expect(
        topViolations({ kind: 'MeshService', name: 'web', labels: { a: 'b' }, sectionName: 'http' }),
      ).toEqual([
        { field: 'spec.targetRef.labels', message: 'must not be set with kind MeshService' },
        { field: 'spec.targetRef.sectionName', message: 'must not be set with kind MeshService' },
      ]);
      expect(topViolations({ kind: 'Mesh', sectionName: 'http' })).toEqual([
        { field: 'spec.targetRef.sectionName', message: 'must not be set with kind Mesh' },
      ]);
    });

    it('kind MeshServiceSubset needs a valid service name, takes tags and no labels', () => {
      expect(fromViolations(allowFrom({ kind: 'MeshServiceSubset', tags: { version: 'v1' } }))).toEqual([
        { field: 'spec.from[0].targetRef.name', message: 'must be set when kind is MeshServiceSubset' },
      ]);
      expect(
        topViolations({ kind: 'MeshServiceSubset', name: 'Web', tags: { v: '' }, labels: { a: 'b' } }),
      ).toEqual([
        {
          field: 'spec.targetRef.name',
          message:
            "invalid characters: must consist of lower case alphanumeric characters, '-', '.' and '_'.",
        },
        { field: 'spec.targetRef.tags["v"]', message: 'tag value must be non-empty' },
        { field: 'spec.targetRef.labels', message: 'must not be set with kind MeshServiceSubset' },
      ]);
    });

    it('takes proxyTypes with Mesh and MeshSubset, and refuses mesh and namespace as Kuma does', () => {
      expect(() =>
        parseResource(
          mtp({
            targetRef: { kind: 'MeshSubset', tags: { env: 'prod' }, proxyTypes: ['Sidecar', 'Gateway'] },
            from: [allowFrom({ kind: 'Mesh', proxyTypes: ['Sidecar'] })],
          }),
        ),
      ).not.toThrow();
      expect(topViolations({ kind: 'Mesh', mesh: 'other', namespace: 'kuma-demo', proxyTypes: [] })).toEqual([
        { field: 'spec.targetRef.mesh', message: 'must not be set with kind Mesh' },
        { field: 'spec.targetRef.namespace', message: 'must not be set with kind Mesh' },
        { field: 'spec.targetRef.proxyTypes', message: 'must be undefined or have at least one element' },
      ]);
      expect(topViolations({ kind: 'Mesh', proxyTypes: ['Envoy'] })).toEqual([
        {
          field: 'spec.targetRef.proxyTypes[0]',
          message: '"proxyTypes[0]" must be one of ["Sidecar", "Gateway"]',
        },
      ]);
      expect(topViolations({ kind: 'Dataplane', name: 'web-01', proxyTypes: ['Sidecar'] })).toEqual([
        { field: 'spec.targetRef.proxyTypes', message: 'must not be set with kind Dataplane' },
      ]);
    });

    it('refuses unknown fields and wrong types', () => {
      expect(topViolations({ kind: 'Mesh', zone: 'east' })).toEqual([
        { field: 'spec.targetRef.zone', message: 'unknown field' },
      ]);
      expect(topViolations('Mesh')).toEqual([{ field: 'spec.targetRef', message: 'must be an object' }]);
      expect(violationsOf(mtp({ from: { targetRef: { kind: 'Mesh' } } }))).toEqual([
        { field: 'spec.from', message: 'must be an array' },
      ]);
    });
  });

  it('refuses unknown fields in spec, from, default, rules and matchers', () => {
    expect(
      violationsOf(
        mtp({
          to: [],
          from: [{ targetRef: { kind: 'Mesh' }, to: [], default: { action: 'Allow', log: true } }],
        }),
      ),
    ).toEqual([
      { field: 'spec.to', message: 'unknown field' },
      { field: 'spec.from[0].to', message: 'unknown field' },
      { field: 'spec.from[0].default.log', message: 'unknown field' },
    ]);
    expect(
      violationsOf(
        mtp({
          rules: [
            {
              matches: [],
              default: {
                action: 'Allow',
                allow: [{ spiffeID: { type: 'Exact', value: 'spiffe://m/web', mode: 'x' }, tags: {} }],
              },
            },
          ],
        }),
      ),
    ).toEqual([
      { field: 'spec.rules[0].matches', message: 'unknown field' },
      { field: 'spec.rules[0].default.action', message: 'unknown field' },
      { field: 'spec.rules[0].allow[0].tags', message: 'unknown field' },
      { field: 'spec.rules[0].allow[0].spiffeID.mode', message: 'unknown field' },
    ]);
  });

  describe('rules', () => {
    it('keeps rules as written, with Dataplane labels and sectionName at the top', () => {
      const spec = {
        targetRef: { kind: 'Dataplane', labels: { team: 'core' }, sectionName: 'http' },
        rules: [
          {
            default: {
              deny: [{ spiffeID: { type: 'Exact', value: 'spiffe://m/api' } }],
              allow: [{ spiffeID: { type: 'Prefix', value: 'spiffe://m/web' } }],
            },
          },
        ],
      };
      expect(parseResource(mtp(spec)).spec).toEqual(spec);
    });

    it('knows only the Exact and Prefix SPIFFE ID matches', () => {
      expect(
        violationsOf(
          mtp({
            rules: [{ default: { allow: [{ spiffeID: { type: 'Regex', value: 'spiffe://m/web' } }] } }],
          }),
        ),
      ).toEqual([
        {
          field: 'spec.rules[0].allow[0].spiffeID.type',
          message: '"type" must be one of ["Exact", "Prefix"]',
        },
      ]);
    });

    it.each([
      ['', 'cannot be empty'],
      ['spiffe://', 'trust domain is missing'],
      [
        'spiffe://Mesh/web',
        'trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores',
      ],
      ['spiffe://m/web/', 'path cannot have a trailing slash'],
      ['spiffe://m//web', 'path cannot contain empty segments'],
      ['spiffe://m/../web', 'path cannot contain dot segments'],
      [
        'spiffe://m/web app',
        'path segment characters are limited to letters, numbers, dots, dashes, and underscores',
      ],
    ])('refuses the SPIFFE ID %j: %s', (value, problem) => {
      expect(
        violationsOf(mtp({ rules: [{ default: { deny: [{ spiffeID: { type: 'Exact', value } }] } }] })),
      ).toEqual([
        { field: 'spec.rules[0].deny[0].spiffeID', message: `must be a valid Spiffe ID: ${problem}` },
      ]);
    });

    it('checks the SNI matcher type', () => {
      expect(
        violationsOf(
          mtp({
            rules: [
              { default: { allow: [{ sni: { value: 'a.b' } }, { sni: { type: 'Prefix', value: 'a.b' } }] } },
            ],
          }),
        ),
      ).toEqual([
        { field: 'spec.rules[0].allow[0].sni.type', message: 'must be set' },
        {
          field: 'spec.rules[0].allow[1].sni.type',
          message: 'unrecognized type "Prefix", supported values are: Exact',
        },
      ]);
    });
  });
});
