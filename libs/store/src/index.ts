// Ports: the resource store, lease store and secret encryption the application depends on. Their adapters
// come from @meshtls/store/adapters, for the composition root (nest-core), tests, apps and benchmarks.
export type { ResourceStore, ListOptions, ListResult, ResourceChange } from './ports/resource.store';
export type { LeaseStore, Lease } from './ports/lease.store';
export type { SecretEncryption } from './ports/secret-encryption';
