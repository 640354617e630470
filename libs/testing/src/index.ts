// Processes and files: free ports, temp dirs, spawning and stopping servers, waiting for a condition.
export { freePort, tempDir } from './ports';
export type { TempDir } from './ports';
export { findBinary, spawnServer, stopProcess, waitUntilReady } from './server-process';
export type { ServerProcess } from './server-process';
export { eventually, waitFor } from './eventually';
export type { EventuallyOptions } from './eventually';

// Real servers on free ports: NATS (single and cluster), Redis, Prometheus.
export { startNatsServer } from './nats-server';
export type { NatsServerHandle } from './nats-server';
export { startRedisServer } from './redis-server';
export type { RedisServerHandle } from './redis-server';
export { startNatsCluster } from './nats-cluster';
export type { NatsClusterHandle } from './nats-cluster';
export { startPrometheus } from './prometheus-server';
export { metricSum } from './prometheus-text';
export type { PrometheusAlertingRule, PrometheusHandle } from './prometheus-server';

// Test CAs made with openssl.
export { OpensslWorkspace, CA_EXTENSIONS } from './openssl-workspace';
export type { TestCa } from './openssl-workspace';

// The built apps as child processes: control-plane roles, topologies, dataplanes.
export { AppProcess, appEntry, REPO_ROOT } from './app-process';
export { Topology, CONTROL_PLANE_ROLES, natsPasswordVariable } from './topology';
export type { Replica, Role } from './topology';
export { DataplaneProcess } from './dataplane-process';
export type { AdminView } from './dataplane-process';
export { dataplaneToken, startStandaloneControlPlane } from './standalone-control-plane';
export type { StandaloneControlPlane } from './standalone-control-plane';
export { describeRoleProcess } from './role-process.spec-support';

// Observers that record what adapters report.
export { RecordingRejections } from './recording-rejections';
