export type { ResourceStore, ListOptions, ListResult, ResourceChange } from './ports/resource.store';
export type { LeaseStore, Lease } from './ports/lease.store';
export type { MessageBus, Subscription, ServeOptions, SubscribeOptions } from './ports/message.bus';
