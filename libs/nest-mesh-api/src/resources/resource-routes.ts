import {
  RESOURCE_DESCRIPTORS,
  ResourceType,
  descriptorForCollection,
  type ResourceDescriptor,
  type ResourceKey,
} from '@meshtls/domain';
import { ApiError } from '@meshtls/nest-core';

/**
 * The REST paths of resources and what each addresses. One table serves routing (which resource) and
 * 405 answers (which methods a path has).
 */
const ROUTES: readonly { pattern: RegExp; methods: readonly string[] }[] = [
  { pattern: /^\/meshes\/?$/, methods: ['GET'] },
  { pattern: /^\/meshes\/[^/]+\/?$/, methods: ['GET', 'PUT', 'DELETE'] },
  { pattern: /^\/meshes\/[^/]+\/[^/]+\/?$/, methods: ['GET'] },
  { pattern: /^\/meshes\/[^/]+\/(dataplanes\+insights\/[^/]+|dataplanes\/_overview)\/?$/, methods: ['GET'] },
  { pattern: /^\/meshes\/[^/]+\/[^/]+\/[^/]+\/?$/, methods: ['GET', 'PUT', 'DELETE'] },
  { pattern: /^\/global-secrets\/?$/, methods: ['GET'] },
  { pattern: /^\/global-secrets\/[^/]+\/?$/, methods: ['GET', 'PUT', 'DELETE'] },
  { pattern: /^\/globalsecrets\/?$/, methods: ['GET'] },
  { pattern: /^\/globalsecrets\/[^/]+\/?$/, methods: ['GET', 'PUT', 'DELETE'] },
  { pattern: /^\/(config|_resources)?\/?$/, methods: ['GET'] },
  { pattern: /^\/(dataplanes|secrets|meshtrafficpermissions)\/?$/, methods: ['GET'] },
  { pattern: /^\/tokens\/dataplane\/?$/, methods: ['POST'] },
  { pattern: /^\/_kri\/[^/]+\/?$/, methods: ['GET'] },
  { pattern: /^\/mesh-insights(\/[^/]+)?\/?$/, methods: ['GET'] },
];

export function allowedMethods(path: string): readonly string[] | undefined {
  return ROUTES.find((r) => r.pattern.test(path))?.methods;
}

/** The descriptor of a mesh-scoped collection (`/meshes/{mesh}/<collection>`), or a 404. */
export function meshScopedDescriptor(collection: string): ResourceDescriptor {
  const descriptor = descriptorForCollection('mesh', collection);
  if (!descriptor) throw new ApiError(404, 'Not found', `unknown resource collection "${collection}"`);
  return descriptor;
}

export function meshKey(name: string): ResourceKey {
  return { type: ResourceType.Mesh, name };
}

export function globalSecretKey(name: string): ResourceKey {
  return { type: ResourceType.GlobalSecret, name };
}

export const MESH_DESCRIPTOR = RESOURCE_DESCRIPTORS.Mesh;
export const GLOBAL_SECRET_DESCRIPTOR = RESOURCE_DESCRIPTORS.GlobalSecret;
