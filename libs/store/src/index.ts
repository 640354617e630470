// Ports: the resource store, lease store and message bus the application depends on.
export type { ResourceStore, ListResult, ResourceChange } from './ports/resource.store';
export type { LeaseStore, Lease } from './ports/lease.store';
export type { MessageBus, Subscription } from './ports/message.bus';
export type { RejectedValue, RejectionObserver, RejectionSource } from './ports/rejected-values';

// Resource stores (memory, SQLite, NATS KV) and the encryption of secrets in them.
export { MemoryResourceStore } from './adapters/memory-resource.store';
export { SqliteResourceStore } from './adapters/sqlite-resource.store';
export { StoreFullError } from './adapters/store-full.error';
export { NatsKvResourceStore } from './adapters/nats-kv-resource.store';
export { EncryptedResourceStore } from './adapters/encrypted-resource.store';
export { SecretCipher } from './crypto/secret-cipher';

// Lease stores (memory, Redis).
export { MemoryLeaseStore } from './adapters/memory-lease.store';
export { RedisLeaseStore } from './adapters/redis-lease.store';

// Message buses (in-process, NATS) and the NATS connection.
export { InProcessBus } from './adapters/in-process.bus';
export { NatsBus } from './adapters/nats.bus';
export { connectNats } from './adapters/nats-connection';
export { CredentialsRefusedError } from './adapters/credentials-refused.error';
export type { ConnectNatsOptions, NatsClientCredentials } from './adapters/nats-connection';
