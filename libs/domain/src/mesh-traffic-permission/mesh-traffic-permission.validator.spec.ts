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

  it.each([[undefined], [[]]])('requires at least one from item (from %j)', (from) => {
    expect(violationsOf(mtp({ targetRef: { kind: 'Mesh' }, from }))).toEqual([
      { field: 'spec.from', message: 'needs at least one item' },
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
        { field: 'spec.targetRef.kind', message: 'value is not supported' },
      ]);
      expect(fromViolations(allowFrom({ kind: 'Dataplane', name: 'web-01' }))).toEqual([
        { field: 'spec.from[0].targetRef.kind', message: 'value is not supported' },
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
        { field: 'spec.from[0].targetRef.name', message: 'must be set with kind MeshService' },
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

    it('kind Dataplane needs a name and no tags', () => {
      expect(topViolations({ kind: 'Dataplane', tags: { a: 'b' } })).toEqual([
        { field: 'spec.targetRef.name', message: 'must be set with kind Dataplane' },
        { field: 'spec.targetRef.tags', message: 'must not be set with kind Dataplane' },
      ]);
    });

    it('refuses unknown fields and wrong types', () => {
      expect(topViolations({ kind: 'Mesh', mesh: 'other' })).toEqual([
        { field: 'spec.targetRef.mesh', message: 'unknown field' },
      ]);
      expect(topViolations('Mesh')).toEqual([{ field: 'spec.targetRef', message: 'must be an object' }]);
      expect(violationsOf(mtp({ from: { targetRef: { kind: 'Mesh' } } }))).toEqual([
        { field: 'spec.from', message: 'must be an array' },
      ]);
    });
  });

  it('refuses unknown fields in spec, from and default', () => {
    expect(
      violationsOf(
        mtp({
          rules: [],
          from: [{ targetRef: { kind: 'Mesh' }, to: [], default: { action: 'Allow', log: true } }],
        }),
      ),
    ).toEqual([
      { field: 'spec.rules', message: 'unknown field' },
      { field: 'spec.from[0].to', message: 'unknown field' },
      { field: 'spec.from[0].default.log', message: 'unknown field' },
    ]);
  });
});
