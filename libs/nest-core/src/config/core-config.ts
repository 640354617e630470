import { accessSync, constants } from 'node:fs';
import type { NatsClientCredentials } from '@meshtls/bus';
import { ConfigError } from '@meshtls/util';
import { z } from 'zod';
import { HEAP_TRIM_DEFAULTS } from '../runtime/heap-trimmer';
import { durationSetting, parseEnvironment } from './environment';

export const RUN_MODES = ['standalone', 'distributed'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** The settings every process of the control plane shares, parsed once at start-up and frozen. */
export interface CoreConfig {
  readonly mode: RunMode;
  readonly instanceId: string;
  readonly http: { readonly address: string; readonly port: number };
  readonly logLevel: string;
  /** Standalone: where the embedded store and the generated at-rest key live. */
  readonly dataDir: string;
  /** Base64 32-byte key for Secrets at rest; required when distributed, generated in dataDir otherwise. */
  readonly secretKey?: string;
  /** Bearer token of the admin user; required when distributed. */
  readonly adminToken?: string;
  readonly nats?: {
    readonly servers: readonly string[];
    readonly bucket: string;
    readonly replicas: number;
    /** How this role proves who it is to NATS; the server's permissions for that user decide the rest. */
    readonly credentials: NatsCredentials;
    /** Files of a TLS connection (CA to verify the server; certificate and key when it asks for one). */
    readonly tls?: NatsTlsFiles;
    /** Replies to this role's requests come on `{inboxPrefix}.>`, a subject only this role may read. */
    readonly inboxPrefix: string;
  };
  readonly redis?: {
    readonly url: string;
    readonly keyPrefix: string;
    readonly username?: string;
    readonly password?: string;
  };
  /** How often the process looks whether a burst left V8 heap to give back (0: never). */
  readonly heapTrimIntervalMs: number;
}

export interface NatsTlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** The kinds of NATS credentials, as NATS users know them; at most one is given. */
export type NatsCredentials = NatsClientCredentials;

const port = z.coerce.number().int().min(0).max(65535);
const base64Key = z
  .string()
  .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, {
    message: 'must be 32 bytes encoded in base64 (e.g. `openssl rand -base64 32`)',
  });

const readableFile = z.string().refine(
  (path) => {
    try {
      accessSync(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must name a file this process can read' },
);

const envSchema = z.object({
  MESH_MODE: z.enum(RUN_MODES).optional(),
  MESH_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of letters, digits, ".", "_" or "-"')
    .optional(),
  MESH_HTTP_ADDRESS: z.string().min(1).default('127.0.0.1'),
  MESH_HTTP_PORT: port.optional(),
  MESH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MESH_DATA_DIR: z.string().min(1).default('.meshtls'),
  MESH_SECRET_KEY: base64Key.optional(),
  MESH_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  MESH_NATS_URL: z
    .string()
    .regex(
      /^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/,
      'must be nats://host:port[,nats://host:port...]',
    )
    .optional(),
  MESH_KV_BUCKET: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "_" or "-"')
    .default('mesh-resources'),
  MESH_KV_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  MESH_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be redis://host:port')
    .optional(),
  MESH_REDIS_PREFIX: z.string().default('mesh:'),
  MESH_REDIS_USERNAME: z.string().min(1).optional(),
  MESH_REDIS_PASSWORD: z.string().min(1).optional(),
  MESH_NATS_USER: z.string().min(1).optional(),
  MESH_NATS_PASSWORD: z.string().min(1).optional(),
  MESH_NATS_TOKEN: z.string().min(1).optional(),
  MESH_NATS_NKEY_SEED_FILE: readableFile.optional(),
  MESH_NATS_CREDS_FILE: readableFile.optional(),
  MESH_NATS_TLS_CA_FILE: readableFile.optional(),
  MESH_NATS_TLS_CERT_FILE: readableFile.optional(),
  MESH_NATS_TLS_KEY_FILE: readableFile.optional(),
  MESH_HEAP_TRIM_INTERVAL: durationSetting(`${HEAP_TRIM_DEFAULTS.intervalMs / 1000}s`, { off: true }),
});

/**
 * Parses the environment for one process. Bad values stop start-up with a message naming the variable,
 * e.g. `MESH_NATS_URL: required in distributed mode`.
 */
export function loadCoreConfig(
  env: Record<string, string | undefined>,
  defaults: { mode: RunMode; port: number; role: string },
): CoreConfig {
  const e = parseEnvironment(envSchema, env);
  const mode = e.MESH_MODE ?? defaults.mode;
  const problems = [
    ...(mode === 'distributed' ? requiredWhenDistributed(e) : []).map(
      (v) => `${v}: required in distributed mode`,
    ),
    ...credentialProblems(e),
  ];
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze({
    mode,
    instanceId: e.MESH_INSTANCE_ID ?? `${defaults.role}-${process.pid}`,
    http: Object.freeze({ address: e.MESH_HTTP_ADDRESS, port: e.MESH_HTTP_PORT ?? defaults.port }),
    logLevel: e.MESH_LOG_LEVEL,
    dataDir: e.MESH_DATA_DIR,
    secretKey: e.MESH_SECRET_KEY,
    adminToken: e.MESH_ADMIN_TOKEN,
    nats: e.MESH_NATS_URL
      ? Object.freeze({
          servers: e.MESH_NATS_URL.split(','),
          bucket: e.MESH_KV_BUCKET,
          replicas: e.MESH_KV_REPLICAS,
          credentials: Object.freeze(natsCredentials(e)),
          tls: natsTls(e),
          inboxPrefix: `_INBOX_${defaults.role}`,
        })
      : undefined,
    redis: e.MESH_REDIS_URL
      ? Object.freeze({
          url: e.MESH_REDIS_URL,
          keyPrefix: e.MESH_REDIS_PREFIX,
          username: e.MESH_REDIS_USERNAME,
          password: e.MESH_REDIS_PASSWORD,
        })
      : undefined,
    heapTrimIntervalMs: e.MESH_HEAP_TRIM_INTERVAL,
  });
}

function requiredWhenDistributed(e: z.infer<typeof envSchema>): string[] {
  const required: [string, unknown][] = [
    ['MESH_NATS_URL', e.MESH_NATS_URL],
    ['MESH_REDIS_URL', e.MESH_REDIS_URL],
    ['MESH_SECRET_KEY', e.MESH_SECRET_KEY],
    ['MESH_ADMIN_TOKEN', e.MESH_ADMIN_TOKEN],
  ];
  return required.filter(([, v]) => v === undefined).map(([k]) => k);
}

type Env = z.infer<typeof envSchema>;

function credentialProblems(e: Env): string[] {
  const given = (
    [
      ['MESH_NATS_USER', e.MESH_NATS_USER],
      ['MESH_NATS_TOKEN', e.MESH_NATS_TOKEN],
      ['MESH_NATS_NKEY_SEED_FILE', e.MESH_NATS_NKEY_SEED_FILE],
      ['MESH_NATS_CREDS_FILE', e.MESH_NATS_CREDS_FILE],
    ] as const
  ).filter(([, v]) => v !== undefined);
  const problems: string[] = [];
  if (given.length > 1) {
    problems.push(`${given.map(([k]) => k).join(', ')}: give one kind of NATS credentials, not several`);
  }
  if (e.MESH_NATS_USER !== undefined && e.MESH_NATS_PASSWORD === undefined) {
    problems.push('MESH_NATS_PASSWORD: required with MESH_NATS_USER');
  }
  if (e.MESH_NATS_PASSWORD !== undefined && e.MESH_NATS_USER === undefined) {
    problems.push('MESH_NATS_USER: required with MESH_NATS_PASSWORD');
  }
  if ((e.MESH_NATS_TLS_CERT_FILE === undefined) !== (e.MESH_NATS_TLS_KEY_FILE === undefined)) {
    problems.push('MESH_NATS_TLS_CERT_FILE, MESH_NATS_TLS_KEY_FILE: a client certificate needs both');
  }
  if (e.MESH_REDIS_USERNAME !== undefined && e.MESH_REDIS_PASSWORD === undefined) {
    problems.push('MESH_REDIS_PASSWORD: required with MESH_REDIS_USERNAME');
  }
  return problems;
}

function natsCredentials(e: Env): NatsCredentials {
  if (e.MESH_NATS_USER !== undefined && e.MESH_NATS_PASSWORD !== undefined) {
    return { kind: 'user', user: e.MESH_NATS_USER, password: e.MESH_NATS_PASSWORD };
  }
  if (e.MESH_NATS_TOKEN !== undefined) return { kind: 'token', token: e.MESH_NATS_TOKEN };
  if (e.MESH_NATS_NKEY_SEED_FILE !== undefined) return { kind: 'nkey', seedFile: e.MESH_NATS_NKEY_SEED_FILE };
  if (e.MESH_NATS_CREDS_FILE !== undefined) return { kind: 'creds', credsFile: e.MESH_NATS_CREDS_FILE };
  return { kind: 'none' };
}

function natsTls(e: Env): NatsTlsFiles | undefined {
  if (
    e.MESH_NATS_TLS_CA_FILE === undefined &&
    e.MESH_NATS_TLS_CERT_FILE === undefined &&
    e.MESH_NATS_TLS_KEY_FILE === undefined
  ) {
    return undefined;
  }
  return Object.freeze({
    caFile: e.MESH_NATS_TLS_CA_FILE,
    certFile: e.MESH_NATS_TLS_CERT_FILE,
    keyFile: e.MESH_NATS_TLS_KEY_FILE,
  });
}
