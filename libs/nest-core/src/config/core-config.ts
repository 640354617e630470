import { ConfigError } from '@meshtls/util';
import { z } from 'zod';
import { parseEnvironment } from './environment';

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
  readonly nats?: { readonly servers: readonly string[]; readonly bucket: string; readonly replicas: number };
  readonly redis?: { readonly url: string; readonly keyPrefix: string };
}

const port = z.coerce.number().int().min(0).max(65535);
const base64Key = z
  .string()
  .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, {
    message: 'must be 32 bytes encoded in base64 (e.g. `openssl rand -base64 32`)',
  });

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
  const missing = mode === 'distributed' ? requiredWhenDistributed(e) : [];
  if (missing.length > 0) {
    throw new ConfigError(
      `invalid configuration:\n  ${missing.map((v) => `${v}: required in distributed mode`).join('\n  ')}`,
    );
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
        })
      : undefined,
    redis: e.MESH_REDIS_URL
      ? Object.freeze({ url: e.MESH_REDIS_URL, keyPrefix: e.MESH_REDIS_PREFIX })
      : undefined,
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
