export type { ResourceStore, ListOptions, ListResult, ResourceChange } from './ports/resource.store';
export type { LeaseStore, Lease } from './ports/lease.store';
export type { MessageBus, Subscription, ServeOptions, SubscribeOptions } from './ports/message.bus';
export type {
  RejectedValue,
  RejectionObserver,
  RejectionSource,
  StoredSpecCheck,
} from './ports/rejected-values';

export { MemoryResourceStore } from './adapters/memory-resource.store';
export { SqliteResourceStore, STORE_FULL_SOURCE } from './adapters/sqlite-resource.store';
export { StoreFullError } from './adapters/store-full.error';
export type { SqliteResourceStoreOptions } from './adapters/sqlite-resource.store';
export { NatsKvResourceStore } from './adapters/nats-kv-resource.store';
export type { NatsKvResourceStoreOptions } from './adapters/nats-kv-resource.store.options';
export { encodeKvKey, decodeKvKey } from './adapters/kv-key.codec';
export { EncryptedResourceStore } from './adapters/encrypted-resource.store';
export type { EncryptedResourceStoreOptions } from './adapters/encrypted-resource.store';
export { SecretCipher, SecretKeyError, SecretDecryptionError } from './crypto/secret-cipher';

export { MemoryLeaseStore } from './adapters/memory-lease.store';
export { RedisLeaseStore } from './adapters/redis-lease.store';
export type { RedisLeaseStoreOptions } from './adapters/redis-lease.store';

export { InProcessBus } from './adapters/in-process.bus';
export type { InProcessBusOptions } from './adapters/in-process.bus';
export { NatsBus } from './adapters/nats.bus';
export type { NatsBusOptions } from './adapters/nats.bus';
export type { BusErrorHandler } from './adapters/bus-envelope';
export { connectNats } from './adapters/nats-connection';
export { CredentialsRefusedError } from './adapters/credentials-refused.error';
export type { ConnectNatsOptions, NatsClientCredentials } from './adapters/nats-connection';
