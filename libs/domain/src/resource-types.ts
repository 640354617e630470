/** The resource types of the API, with how each is addressed (Kuma's universal names and REST paths). */
export const ResourceType = {
  Mesh: 'Mesh',
  Secret: 'Secret',
  GlobalSecret: 'GlobalSecret',
  Dataplane: 'Dataplane',
  MeshTrafficPermission: 'MeshTrafficPermission',
  /** What the control plane observed of a dataplane (streams, certificates); read-only. */
  DataplaneInsight: 'DataplaneInsight',
  /** A mesh's CA switch in progress (see `ca-switch.types.ts`); the control plane's own, never served. */
  CaSwitch: 'CaSwitch',
  /** A mesh-api replica's heartbeat and its part of every CA switch; the control plane's own. */
  ControlPlaneInstance: 'ControlPlaneInstance',
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];
/** The types the API serves (see `ResourceDescriptor.internal`). */
export type ApiResourceType = Exclude<ResourceType, 'CaSwitch' | 'ControlPlaneInstance'>;

export interface ResourceDescriptor {
  readonly type: ResourceType;
  /** `global` resources have no mesh; `mesh` resources live inside one. */
  readonly scope: 'global' | 'mesh';
  /** REST collection: `/meshes`, `/global-secrets`, `/meshes/{mesh}/<collection>`. */
  readonly collection: string;
  /** Names a user may type for it in the CLI (`meshctl get secrets`). */
  readonly aliases: readonly string[];
  /** Only admins may read it (its values are secret). */
  readonly adminOnlyRead: boolean;
  /** Maintained by the control plane: users read it, never write it. */
  readonly readOnly: boolean;
  /** The control plane's own state: not served by the API, not named by the CLI, not counted. */
  readonly internal?: boolean;
}

export const RESOURCE_DESCRIPTORS: Readonly<Record<ResourceType, ResourceDescriptor>> = {
  Mesh: {
    type: 'Mesh',
    scope: 'global',
    collection: 'meshes',
    aliases: ['mesh', 'meshes'],
    adminOnlyRead: false,
    readOnly: false,
  },
  GlobalSecret: {
    type: 'GlobalSecret',
    scope: 'global',
    collection: 'global-secrets',
    aliases: ['global-secret', 'global-secrets', 'globalsecret', 'globalsecrets'],
    adminOnlyRead: true,
    readOnly: false,
  },
  Secret: {
    type: 'Secret',
    scope: 'mesh',
    collection: 'secrets',
    aliases: ['secret', 'secrets'],
    adminOnlyRead: true,
    readOnly: false,
  },
  Dataplane: {
    type: 'Dataplane',
    scope: 'mesh',
    collection: 'dataplanes',
    aliases: ['dataplane', 'dataplanes', 'dp', 'dps'],
    adminOnlyRead: false,
    readOnly: false,
  },
  MeshTrafficPermission: {
    type: 'MeshTrafficPermission',
    scope: 'mesh',
    collection: 'meshtrafficpermissions',
    aliases: ['meshtrafficpermission', 'meshtrafficpermissions', 'mtp', 'mtps'],
    adminOnlyRead: false,
    readOnly: false,
  },
  DataplaneInsight: {
    type: 'DataplaneInsight',
    scope: 'mesh',
    collection: 'dataplane-insights',
    aliases: ['dataplane-insight', 'dataplane-insights', 'dataplaneinsight', 'dataplaneinsights'],
    adminOnlyRead: false,
    readOnly: true,
  },
  CaSwitch: {
    type: 'CaSwitch',
    scope: 'mesh',
    collection: 'ca-switches',
    aliases: [],
    adminOnlyRead: true,
    readOnly: true,
    internal: true,
  },
  ControlPlaneInstance: {
    type: 'ControlPlaneInstance',
    scope: 'global',
    collection: 'control-plane-instances',
    aliases: [],
    adminOnlyRead: true,
    readOnly: true,
    internal: true,
  },
};

export const ALL_RESOURCE_TYPES: readonly ResourceType[] = Object.keys(
  RESOURCE_DESCRIPTORS,
) as ResourceType[];

/** The types the API serves and the CLI names: every type but the control plane's internal state. */
export const API_RESOURCE_TYPES: readonly ApiResourceType[] = ALL_RESOURCE_TYPES.filter(
  (t): t is ApiResourceType => RESOURCE_DESCRIPTORS[t].internal !== true,
);

const API_DESCRIPTORS: readonly ResourceDescriptor[] = API_RESOURCE_TYPES.map((t) => RESOURCE_DESCRIPTORS[t]);

/** The types users write (apply, PUT); the others the control plane maintains. */
export const WRITABLE_RESOURCE_TYPES: readonly ResourceType[] = API_RESOURCE_TYPES.filter(
  (t) => !RESOURCE_DESCRIPTORS[t].readOnly,
);

export function isResourceType(value: unknown): value is ResourceType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RESOURCE_DESCRIPTORS, value);
}

/** A type users may name: any but the control plane's internal state. */
export function isApiResourceType(value: unknown): value is ApiResourceType {
  return isResourceType(value) && RESOURCE_DESCRIPTORS[value].internal !== true;
}

/** The descriptor for a REST collection segment within the given scope, if there is one. */
export function descriptorForCollection(
  scope: ResourceDescriptor['scope'],
  collection: string,
): ResourceDescriptor | undefined {
  return API_DESCRIPTORS.find((d) => d.scope === scope && d.collection === collection);
}

/** The descriptor a CLI word names (`secret`, `dataplanes`, `mtp`), case-insensitive. */
export function descriptorForAlias(word: string): ResourceDescriptor | undefined {
  const w = word.toLowerCase();
  return API_DESCRIPTORS.find((d) => d.aliases.includes(w));
}
