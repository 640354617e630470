import { RESOURCE_DESCRIPTORS } from '@meshtls/domain';
import { UsageError } from '../cli-errors';
import { collectionPath, describeRef, resolveTypeWord, resourcePath } from './resource-ref';

describe('resource references', () => {
  it('maps CLI words to types through the domain aliases', () => {
    expect(resolveTypeWord('dp').type).toBe('Dataplane');
    expect(resolveTypeWord('MTP').type).toBe('MeshTrafficPermission');
    expect(resolveTypeWord('global-secrets').type).toBe('GlobalSecret');
    expect(() => resolveTypeWord('pods')).toThrow(UsageError);
    expect(() => resolveTypeWord('pods')).toThrow(/unknown resource type "pods"; use one of: meshes, /);
  });

  it('builds the REST paths of the API, escaping names', () => {
    expect(collectionPath(RESOURCE_DESCRIPTORS.Mesh)).toBe('/meshes');
    expect(collectionPath(RESOURCE_DESCRIPTORS.GlobalSecret, 'ignored')).toBe('/global-secrets');
    expect(collectionPath(RESOURCE_DESCRIPTORS.Secret, 'm 1')).toBe('/meshes/m%201/secrets');
    expect(resourcePath({ descriptor: RESOURCE_DESCRIPTORS.Dataplane, mesh: 'default', name: 'web/1' })).toBe(
      '/meshes/default/dataplanes/web%2F1',
    );
    expect(() => collectionPath(RESOURCE_DESCRIPTORS.Dataplane)).toThrow(UsageError);
  });

  it('describes a resource with its mesh when it has one', () => {
    expect(describeRef({ descriptor: RESOURCE_DESCRIPTORS.Mesh, name: 'default' })).toBe('Mesh "default"');
    expect(describeRef({ descriptor: RESOURCE_DESCRIPTORS.Secret, name: 's', mesh: 'm' })).toBe(
      'Secret "s" in mesh "m"',
    );
  });
});
