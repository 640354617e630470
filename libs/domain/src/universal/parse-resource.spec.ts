import { ValidationError } from '../errors';
import { violationsOf } from '../test-support/violations-of';
import { parseResource } from './parse-resource';

const INVALID_NAME =
  "invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

describe('parseResource', () => {
  it('throws a ValidationError with code resource.invalid', () => {
    expect(() => parseResource({ type: 'Mesh' })).toThrow(ValidationError);
  });

  it.each([[null], ['Mesh'], [[{ type: 'Mesh' }]], [42]])(
    'refuses a document that is not an object: %j',
    (doc) => {
      expect(violationsOf(doc)).toEqual([{ field: '', message: 'must be an object' }]);
    },
  );

  it('requires a known type', () => {
    expect(violationsOf({ name: 'default' })).toEqual([{ field: 'type', message: 'cannot be empty' }]);
    expect(violationsOf({ type: 7, name: 'default' })).toEqual([
      { field: 'type', message: 'must be a string' },
    ]);
    expect(violationsOf({ type: 'TrafficRoute', name: 'default' })).toEqual([
      {
        field: 'type',
        message:
          'unknown resource type. Allowed values: Mesh, GlobalSecret, Secret, Dataplane, MeshTrafficPermission',
      },
    ]);
  });

  describe('name', () => {
    it('cannot be empty', () => {
      expect(violationsOf({ type: 'Mesh' })).toEqual([{ field: 'name', message: 'cannot be empty' }]);
      expect(violationsOf({ type: 'Mesh', name: '' })).toEqual([
        { field: 'name', message: 'cannot be empty' },
      ]);
    });

    it('is limited to 63 characters for a mesh', () => {
      expect(() => parseResource({ type: 'Mesh', name: 'm'.repeat(63) })).not.toThrow();
      expect(violationsOf({ type: 'Mesh', name: 'm'.repeat(64) })).toEqual([
        { field: 'name', message: 'cannot be longer than 63 characters' },
      ]);
    });

    it('is limited to 253 characters for other types', () => {
      const doc = (name: string) => ({ type: 'GlobalSecret', name, data: 'YQ==' });
      expect(() => parseResource(doc('s'.repeat(253)))).not.toThrow();
      expect(violationsOf(doc('s'.repeat(254)))).toEqual([
        { field: 'name', message: 'cannot be longer than 253 characters' },
      ]);
    });

    it.each(['Default', 'my_mesh', '-mesh', 'mesh-', 'a..b', 'mesh/1', 'mésh'])('refuses %j', (name) => {
      expect(violationsOf({ type: 'Mesh', name })).toEqual([{ field: 'name', message: INVALID_NAME }]);
    });

    it.each(['default', 'a', 'team-a.prod', '0mesh'])('accepts %j', (name) => {
      expect(parseResource({ type: 'Mesh', name }).key).toEqual({ type: 'Mesh', name });
    });

    it('must be a string', () => {
      expect(violationsOf({ type: 'Mesh', name: 1 })).toEqual([
        { field: 'name', message: 'must be a string' },
      ]);
    });
  });

  describe('mesh', () => {
    const secret = (mesh: unknown) => ({ type: 'Secret', mesh, name: 's', data: 'YQ==' });

    it('is required for mesh-scoped types and follows the mesh name rules', () => {
      expect(violationsOf(secret('')).concat(violationsOf(secret('Default')))).toEqual([
        { field: 'mesh', message: 'cannot be empty' },
        { field: 'mesh', message: INVALID_NAME },
      ]);
      expect(violationsOf(secret('m'.repeat(64)))).toEqual([
        { field: 'mesh', message: 'cannot be longer than 63 characters' },
      ]);
    });

    it('is refused for a Mesh', () => {
      expect(violationsOf({ type: 'Mesh', mesh: 'default', name: 'default' })).toEqual([
        { field: 'mesh', message: 'must not be set' },
      ]);
    });
  });

  it('leaves an unknown top-level field of a Mesh out with a warning, as Kuma skips it', () => {
    const parsed = parseResource({ type: 'Mesh', name: 'default', loging: {}, labels: { a: 'b' } });
    expect(parsed.spec).toEqual({ labels: { a: 'b' } });
    expect(parsed.warnings).toEqual(['loging: unknown field, ignored (not stored)']);
  });

  it('refuses unknown top-level fields of the other types', () => {
    expect(
      violationsOf({
        type: 'MeshTrafficPermission',
        mesh: 'default',
        name: 'p',
        targetRef: { kind: 'Mesh' },
        spec: {},
      }),
    ).toEqual([
      { field: 'targetRef', message: 'unknown field' },
      { field: 'spec', message: "at least one of 'from' or 'rules' has to be defined" },
    ]);
    expect(violationsOf({ type: 'Secret', mesh: 'default', name: 's', data: 'eA==', extra: 1 })).toEqual([
      { field: 'extra', message: 'unknown field' },
    ]);
  });

  it('accepts and ignores the timestamps printed by get -o yaml', () => {
    const parsed = parseResource({
      type: 'Mesh',
      name: 'default',
      creationTime: '2024-01-01T00:00:00Z',
      modificationTime: '2024-01-02T00:00:00Z',
    });
    expect(parsed).toEqual({ key: { type: 'Mesh', name: 'default' }, spec: {}, warnings: [] });
    expect(violationsOf({ type: 'Mesh', name: 'default', creationTime: 1 })).toEqual([
      { field: 'creationTime', message: 'must be a string' },
    ]);
  });

  it('reports meta and spec violations together', () => {
    expect(
      violationsOf({
        type: 'Dataplane',
        name: 'Web',
        networking: { address: '', inbound: [{ port: 1, tags: {} }] },
      }),
    ).toEqual([
      { field: 'mesh', message: 'cannot be empty' },
      { field: 'name', message: INVALID_NAME },
      { field: 'networking.address', message: 'address has to be valid IP address or domain name' },
      { field: 'networking.inbound[0].tags["kuma.io/service"]', message: 'tag has to exist' },
    ]);
  });

  it('returns a spec that shares nothing with unknown input', () => {
    const doc = { type: 'Mesh', name: 'default', mtls: { backends: [{ name: 'ca-1', type: 'builtin' }] } };
    const parsed = parseResource(doc);
    doc.mtls.backends[0].name = 'changed';
    expect(parsed.spec).toEqual({ mtls: { backends: [{ name: 'ca-1', type: 'builtin' }] } });
  });
});
