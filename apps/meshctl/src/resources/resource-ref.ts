import {
  API_RESOURCE_TYPES,
  RESOURCE_DESCRIPTORS,
  descriptorForAlias,
  type ResourceDescriptor,
} from '@meshtls/domain';
import { UsageError } from '../cli-errors';

/** One resource as the CLI addresses it: its type's descriptor, its name and (mesh-scoped) its mesh. */
export interface ResourceRef {
  readonly descriptor: ResourceDescriptor;
  readonly name: string;
  readonly mesh?: string;
}

/** The REST collection of a type: `/meshes`, `/global-secrets`, `/meshes/{mesh}/dataplanes`. */
export function collectionPath(descriptor: ResourceDescriptor, mesh?: string): string {
  if (descriptor.scope === 'global') return `/${descriptor.collection}`;
  if (!mesh) throw new UsageError(`${descriptor.type} lives in a mesh: give --mesh`);
  return `/meshes/${encodeURIComponent(mesh)}/${descriptor.collection}`;
}

export function resourcePath(ref: ResourceRef): string {
  return `${collectionPath(ref.descriptor, ref.mesh)}/${encodeURIComponent(ref.name)}`;
}

/** `Mesh "default"`, `Dataplane "web-1" in mesh "default"` — the subject of the CLI's messages. */
export function describeRef(ref: ResourceRef): string {
  const base = `${ref.descriptor.type} "${ref.name}"`;
  return ref.descriptor.scope === 'mesh' ? `${base} in mesh "${ref.mesh}"` : base;
}

/** The descriptor a CLI word names, or a UsageError listing the words that work. */
export function resolveTypeWord(word: string): ResourceDescriptor {
  const descriptor = descriptorForAlias(word);
  if (!descriptor) {
    throw new UsageError(`unknown resource type "${word}"; use one of: ${knownTypeWords().join(', ')}`);
  }
  return descriptor;
}

/** The plural word of each type (`meshes`, `dataplanes`, ...), for help texts and errors. */
export function knownTypeWords(): string[] {
  return API_RESOURCE_TYPES.map((t) => RESOURCE_DESCRIPTORS[t].collection);
}
