// The mesh a fresh control plane starts with.
export { EnsureDefaultMeshUseCase, DEFAULT_MESH_NAME } from './ensure-default-mesh.use-case';
export type { DefaultMeshOutcome } from './ensure-default-mesh.use-case';
