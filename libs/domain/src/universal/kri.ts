import { BadRequestError } from '../errors';
import type { ResourceKey, ResourceMeta } from '../resource';
import { ResourceType } from '../resource-types';
import { LabelKey, STANDALONE_ZONE, type Labels } from './labels';

/** Kuma's `kri` short names; types without one have no `kri`. */
const KRI_SHORT_NAMES: Partial<Record<ResourceType, string>> = {
  Mesh: 'm',
  Dataplane: 'dp',
  MeshTrafficPermission: 'mtp',
};

/**
 * Kuma's resource identifier, `kri_<short name>_<mesh>_<zone>_<namespace>_<name>_<section>`, for the types
 * that have one (Mesh, Dataplane, MeshTrafficPermission); the name is `kuma.io/display-name` when set.
 */
export function kriOf(
  meta: Pick<ResourceMeta, 'type' | 'mesh' | 'name'>,
  labels: Labels,
): string | undefined {
  const short = KRI_SHORT_NAMES[meta.type];
  if (short === undefined) return undefined;
  const name = labels[LabelKey.displayName] || meta.name;
  const zone = labels[LabelKey.zone] ?? '';
  return `kri_${short}_${meta.mesh ?? ''}_${zone}__${name}_`;
}

/**
 * The resource a `kri` names on a standalone control plane, read as Kuma reads it: a malformed identifier or
 * an unknown short name is a BadRequestError in Kuma's words. A kri of another zone names nothing here
 * (undefined): a standalone control plane holds only its own zone's resources.
 */
export function resourceKeyOfKri(text: string): ResourceKey | undefined {
  const parts = text.split('_');
  if (parts.length < 7) throw new BadRequestError(`invalid identifier string: ${JSON.stringify(text)}`);
  if (parts[0] !== 'kri')
    throw new BadRequestError(`identifier must start with 'kri': ${JSON.stringify(text)}`);
  const [, short, mesh, zone, , name] = parts as [string, string, string, string, string, string];
  const type = (Object.keys(KRI_SHORT_NAMES) as ResourceType[]).find((t) => KRI_SHORT_NAMES[t] === short);
  if (short === '' || type === undefined) {
    throw new BadRequestError(`unknown short name of resource type: ${JSON.stringify(short)}`);
  }
  if (zone !== '' && zone !== STANDALONE_ZONE) return undefined;
  return type === ResourceType.Mesh ? { type, name } : { type, mesh, name };
}
