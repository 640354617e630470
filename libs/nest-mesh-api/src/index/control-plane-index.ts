import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { API_RESOURCE_TYPES, RESOURCE_DESCRIPTORS, type ApiResourceType } from '@meshtls/domain';
import type { CoreConfig } from '@meshtls/nest-core';
import type { DpServerConfig } from '../dataplanes/dp-server.config';
import type { DefaultMeshConfig } from '../default-mesh/default-mesh.config';

/** This control plane's own name (its package.json's `name`, the index's `tagline` and `meshtls.product`). */
export const PRODUCT = 'meshtls';
/** The Kuma release whose API, resources and tokens this one follows (Kuma's `basedOnKuma`). */
export const BASED_ON_KUMA = '2.14.3';
/**
 * What the index answers as `product` and `version`: the API it speaks. kumactl refuses a control plane
 * whose product is not "Kuma" and warns on every command when the version is not its own, so a Kuma user's
 * kumactl 2.14 works unchanged only against `Kuma` `2.14.3`; meshtls's own name and version are in
 * `tagline` and `meshtls`.
 */
export const API_PRODUCT = 'Kuma';
/** How Kuma writes a value it will not show in `GET /config`. */
export const SANITIZED = '*****';

/** Kuma's index (`GET /`), as kumactl reads it (`types.IndexResponse`), with the tagline older clients show. */
export interface IndexBody {
  readonly hostname: string;
  readonly tagline: string;
  readonly product: string;
  readonly version: string;
  readonly instanceId: string;
  readonly clusterId: string;
  readonly gui: string;
  readonly basedOnKuma: string;
  /** This control plane's own product and version (an extra field; kumactl ignores it). */
  readonly meshtls: { readonly product: string; readonly version: string };
}

export interface IndexFacts {
  readonly hostname: string;
  readonly version: string;
  readonly instanceId: string;
  readonly clusterId: string;
}

export function indexBody(facts: IndexFacts): IndexBody {
  return {
    hostname: facts.hostname,
    tagline: `${PRODUCT} ${facts.version}, Kuma ${BASED_ON_KUMA} API`,
    product: API_PRODUCT,
    version: BASED_ON_KUMA,
    instanceId: facts.instanceId,
    clusterId: facts.clusterId,
    // No GUI is served: Kuma answers "" when its GUI is off.
    gui: '',
    basedOnKuma: BASED_ON_KUMA,
    meshtls: { product: PRODUCT, version: facts.version },
  };
}

/**
 * The version in the package.json of this product, found from `from` upwards (the sources and the built
 * `dist/` both sit below it); "unknown" when there is none, as Kuma's unset build version.
 */
export function productVersion(from: string = __dirname): string {
  let dir = resolve(from);
  for (;;) {
    const version = versionIn(join(dir, 'package.json'));
    if (version !== undefined) return version;
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

function versionIn(file: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
    return pkg.name === PRODUCT && typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One id for every replica of a control plane, in a UUID's form: derived from where its resources live
 * (the embedded store's directory; the NATS bucket and the Redis key prefix), so replicas sharing a store
 * agree without having to talk, and a restart keeps it.
 */
export function clusterId(config: CoreConfig): string {
  const where =
    config.mode === 'standalone' || !config.nats
      ? `standalone:${resolve(config.dataDir)}`
      : `distributed:${config.nats.bucket}:${config.redis?.keyPrefix ?? ''}`;
  const hex = createHash('sha256').update(where).digest('hex');
  // Version 5-like layout (name-based): 8-4-4-4-12, version nibble 5, variant 10xx.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The role settings `GET /config` shows beside the shared ones. */
export interface RoleSettings {
  readonly dpServer: DpServerConfig;
  readonly defaultMesh: DefaultMeshConfig;
}

/**
 * The effective configuration in the layout of Kuma's `GET /config` (its keys where a setting has a Kuma
 * counterpart), every credential replaced by `*****`: tokens, keys, passwords, and the user part of a URL.
 */
export function configForDisplay(core: CoreConfig, role: RoleSettings): Record<string, unknown> {
  const distributed = core.mode === 'distributed';
  return {
    environment: 'universal',
    // A control plane that is not federated is a zone in Kuma 2.x; replicas share its store.
    mode: 'zone',
    general: { workDir: distributed ? undefined : core.dataDir },
    store: {
      type: core.nats ? 'nats' : 'sqlite',
      ...(core.nats
        ? {
            nats: {
              servers: core.nats.servers.map(withoutUserInfo),
              bucket: core.nats.bucket,
              replicas: core.nats.replicas,
              credentials: core.nats.credentials.kind,
              ...(core.nats.credentials.kind === 'user'
                ? { user: core.nats.credentials.user, password: SANITIZED }
                : {}),
              ...(core.nats.credentials.kind === 'token' ? { token: SANITIZED } : {}),
              ...(core.nats.credentials.kind === 'nkey' ? { seedFile: core.nats.credentials.seedFile } : {}),
              ...(core.nats.credentials.kind === 'creds'
                ? { credsFile: core.nats.credentials.credsFile }
                : {}),
              tls: core.nats.tls ? { ...core.nats.tls } : undefined,
            },
          }
        : {}),
      ...(core.redis
        ? {
            redis: {
              url: withoutUserInfo(core.redis.url),
              keyPrefix: core.redis.keyPrefix,
              username: core.redis.username,
              password: core.redis.password === undefined ? undefined : SANITIZED,
            },
          }
        : {}),
      secretKey: core.secretKey === undefined ? undefined : SANITIZED,
    },
    apiServer: {
      http: { enabled: true, interface: core.http.address, port: core.http.port },
      https: { enabled: false },
      auth: { adminToken: core.adminToken === undefined ? undefined : SANITIZED },
      gui: { enabled: false },
    },
    dpServer: {
      interface: role.dpServer.address ?? core.http.address,
      port: role.dpServer.port,
      tlsCertFile: role.dpServer.certFile ?? '',
      tlsKeyFile: role.dpServer.keyFile ?? '',
      hostnames: [...role.dpServer.hostnames],
    },
    defaults: { skipMeshCreation: role.defaultMesh.skip },
    meshtls: { runMode: core.mode, instanceId: core.instanceId, logLevel: core.logLevel },
  };
}

/** `scheme://user:password@host` as `scheme://*****@host`; anything else as it is. */
function withoutUserInfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, `$1${SANITIZED}@`);
}

/** Kuma's `ResourceTypeDescription` (`GET /_resources`). */
export interface ResourceTypeDescription {
  readonly name: string;
  readonly scope: 'Global' | 'Mesh';
  readonly readOnly: boolean;
  readonly path: string;
  readonly singularDisplayName: string;
  readonly pluralDisplayName: string;
  readonly shortName: string;
  readonly includeInFederation: boolean;
  readonly policy?: {
    readonly isTargetRef: boolean;
    readonly hasToTargetRef: boolean;
    readonly hasFromTargetRef: boolean;
    readonly hasRulesTargetRef: boolean;
    readonly isFromAsRules: boolean;
  };
}

/** What Kuma 2.14.3 says of each type we have (names, paths, short names as kumactl knows them). */
const KUMA_TYPE_FACTS: Readonly<
  Record<ApiResourceType, Omit<ResourceTypeDescription, 'name' | 'scope' | 'readOnly'>>
> = {
  Mesh: {
    path: 'meshes',
    singularDisplayName: 'Mesh',
    pluralDisplayName: 'Meshes',
    shortName: 'm',
    includeInFederation: true,
  },
  Secret: {
    path: 'secrets',
    singularDisplayName: 'Secret',
    pluralDisplayName: 'Secrets',
    shortName: '',
    includeInFederation: true,
  },
  GlobalSecret: {
    path: 'globalsecrets',
    singularDisplayName: 'Global Secret',
    pluralDisplayName: 'Global Secrets',
    shortName: '',
    includeInFederation: true,
  },
  Dataplane: {
    path: 'dataplanes',
    singularDisplayName: 'Dataplane',
    pluralDisplayName: 'Dataplanes',
    shortName: 'dp',
    includeInFederation: false,
  },
  MeshTrafficPermission: {
    path: 'meshtrafficpermissions',
    singularDisplayName: 'Mesh Traffic Permission',
    pluralDisplayName: 'Mesh Traffic Permissions',
    shortName: 'mtp',
    includeInFederation: true,
    policy: {
      isTargetRef: true,
      hasToTargetRef: false,
      hasFromTargetRef: true,
      hasRulesTargetRef: true,
      isFromAsRules: false,
    },
  },
  DataplaneInsight: {
    path: 'dataplane-insights',
    singularDisplayName: 'Dataplane Insight',
    pluralDisplayName: 'Dataplane Insights',
    shortName: '',
    includeInFederation: false,
  },
};

/** `GET /_resources`: every type this API serves, sorted by name as Kuma sorts them. */
export function resourceTypeDescriptions(): { resources: ResourceTypeDescription[] } {
  const resources = API_RESOURCE_TYPES.map((type) => {
    const descriptor = RESOURCE_DESCRIPTORS[type];
    return {
      name: type,
      scope: descriptor.scope === 'mesh' ? ('Mesh' as const) : ('Global' as const),
      readOnly: descriptor.readOnly,
      ...KUMA_TYPE_FACTS[type],
    };
  }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { resources };
}
