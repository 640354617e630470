import { loadDefaultMeshConfig } from './default-mesh.config';

describe('loadDefaultMeshConfig', () => {
  it('makes the default mesh unless MESH_SKIP_DEFAULT_MESH is "true"', () => {
    expect(loadDefaultMeshConfig({})).toEqual({ skip: false });
    expect(loadDefaultMeshConfig({ MESH_SKIP_DEFAULT_MESH: 'false' })).toEqual({ skip: false });
    expect(loadDefaultMeshConfig({ MESH_SKIP_DEFAULT_MESH: 'true' })).toEqual({ skip: true });
  });

  it('refuses anything else, naming the variable', () => {
    for (const value of ['yes', '1', 'TRUE', '']) {
      expect(() => loadDefaultMeshConfig({ MESH_SKIP_DEFAULT_MESH: value })).toThrow(
        'MESH_SKIP_DEFAULT_MESH: must be "true" or "false"',
      );
    }
  });
});
