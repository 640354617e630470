import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { InProcessBus, NatsBus, connectNats, type MessageBus } from '@meshtls/bus';
import type { LeaseStore, ResourceStore } from '@meshtls/store';
import {
  EncryptedResourceStore,
  MemoryLeaseStore,
  NatsKvResourceStore,
  RedisLeaseStore,
  SecretCipher,
  SqliteResourceStore,
} from '@meshtls/store/adapters';
import { storedSpecViolations } from '@meshtls/domain';
import { Logger } from '@nestjs/common';
import {
  ConfigError,
  CredentialsRefusedError,
  type Clock,
  type DegradationReporter,
  type RejectionObserver,
} from '@meshtls/util';
import type { CoreConfig } from '../config/core-config';

/** The adapters behind the ports, chosen by run mode; one set per process, closed on shutdown. */
export interface Infrastructure {
  readonly resources: ResourceStore;
  readonly leases: LeaseStore;
  readonly bus: MessageBus;
  /** The at-rest cipher (MESH_SECRET_KEY): Secrets in the store, and provided-CA keys on their way to ca-signer. */
  readonly cipher: SecretCipher;
  /** A short description for the start-up line, never containing credentials. */
  readonly description: string;
  close(): Promise<void>;
}

/** Where the adapters report what degrades the process (values they skipped, a full disk). */
export interface InfrastructureHealth {
  readonly rejections?: RejectionObserver;
  readonly degradations?: DegradationReporter;
}

// Handler failures are answered to the requester as `internal error`; the cause is logged here, once.
const logger = new Logger('infrastructure');
const logBusError = (error: unknown, subject: string) =>
  logger.error(`handler of ${subject} failed: ${(error as Error)?.stack ?? String(error)}`);
const logWatchError = (error: Error) => logger.error(`resource watch: ${error.message}`);
const storeOptions = {
  onWatchError: logWatchError,
  onPlaintextKey: (message: string) => logger.warn(message),
};

/**
 * The adapters of `config.mode`. Every value read from the KV bucket, the event stream and Redis is
 * decoded with its schema (resource specs by their type's rules); what does not decode is skipped and
 * told to `health.rejections`.
 */
export async function createInfrastructure(
  config: CoreConfig,
  clock: Clock,
  health: InfrastructureHealth = {},
): Promise<Infrastructure> {
  return config.mode === 'standalone'
    ? createStandalone(config, clock, health)
    : createDistributed(config, clock, health);
}

function createStandalone(config: CoreConfig, clock: Clock, health: InfrastructureHealth): Infrastructure {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const cipher = new SecretCipher(config.secretKey ?? loadOrCreateKey(config.dataDir));
  const file = join(config.dataDir, 'resources.db');
  const sqlite = new SqliteResourceStore({ file, clock, degradations: health.degradations });
  const resources = new EncryptedResourceStore(sqlite, cipher, storeOptions);
  const leases = new MemoryLeaseStore(clock);
  const bus = new InProcessBus({ onHandlerError: logBusError });
  return {
    resources,
    leases,
    bus,
    cipher,
    description: `embedded store ${file}, in-process bus, in-memory leases`,
    close: async () => {
      await bus.close();
      await leases.close();
      await resources.close();
    },
  };
}

async function createDistributed(
  config: CoreConfig,
  clock: Clock,
  health: InfrastructureHealth,
): Promise<Infrastructure> {
  const nats = config.nats!;
  const redis = config.redis!;
  const nc = await connectNats({
    servers: [...nats.servers],
    name: config.instanceId,
    credentials: nats.credentials,
    tls: nats.tls,
    inboxPrefix: nats.inboxPrefix,
  }).catch(refusedCredentials);
  const kv = await NatsKvResourceStore.connect({
    nc,
    bucket: nats.bucket,
    replicas: nats.replicas,
    clock,
    checkSpec: storedSpecViolations,
    rejections: health.rejections,
  });
  const cipher = new SecretCipher(config.secretKey!);
  const resources = new EncryptedResourceStore(kv, cipher, storeOptions);
  const bus = new NatsBus(nc, {
    onHandlerError: logBusError,
    eventStream: { replicas: nats.replicas },
    rejections: health.rejections,
  });
  const leases = await RedisLeaseStore.connect({
    url: redis.url,
    username: redis.username,
    password: redis.password,
    keyPrefix: redis.keyPrefix,
    clock,
    onError: (error: Error) => logger.warn(`redis: ${error.message}`),
    rejections: health.rejections,
  }).catch(refusedCredentials);
  return {
    resources,
    leases,
    bus,
    cipher,
    description: `NATS ${nats.servers.join(',')} (KV bucket ${nats.bucket}), Redis leases`,
    close: async () => {
      await bus.close();
      await leases.close();
      await resources.close();
      await nc.drain().catch(() => undefined);
    },
  };
}

/** Which variables hold the credentials a server refused: what the operator must check. */
const CREDENTIAL_VARIABLES = {
  nats:
    'MESH_NATS_USER / MESH_NATS_PASSWORD, MESH_NATS_TOKEN, MESH_NATS_NKEY_SEED_FILE or MESH_NATS_CREDS_FILE, ' +
    'and the TLS files',
  redis: 'MESH_REDIS_USERNAME / MESH_REDIS_PASSWORD or the credentials in MESH_REDIS_URL',
} as const;

/**
 * Refused credentials stop the process as bad configuration, naming the variables to check and never
 * the credentials themselves.
 */
function refusedCredentials(error: unknown): never {
  if (error instanceof CredentialsRefusedError) {
    throw new ConfigError(`${error.message}: check ${CREDENTIAL_VARIABLES[error.server]}`);
  }
  throw error;
}

/** Standalone only: the at-rest key is generated once and kept beside the data, readable by its owner only. */
function loadOrCreateKey(dataDir: string): string {
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) writeFileSync(file, SecretCipher.generateKey(), { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}
