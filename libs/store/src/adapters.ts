// Adapters of the store's ports (@meshtls/store), chosen by the composition root: application code may
// not import them.

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
