// Ports: the resource store and lease store the application depends on.
export type { ResourceStore, ListResult, ResourceChange } from './ports/resource.store';
export type { LeaseStore, Lease } from './ports/lease.store';

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
