export { freePort, tempDir } from './ports';
export type { TempDir } from './ports';
export { ServerStartError } from './server-process';
export { startNatsServer } from './nats-server';
export type { NatsServerHandle, NatsServerOptions, NatsClusterOptions } from './nats-server';
export { startRedisServer } from './redis-server';
export type { RedisServerHandle } from './redis-server';
export { startNatsCluster } from './nats-cluster';
export type { NatsClusterHandle } from './nats-cluster';
