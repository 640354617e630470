// The sidecar's agent (identity stream, renewal, cert dir) and its mTLS proxy.
export { DataplaneAgent } from './dataplane-agent';
export type { DataplaneIdentity } from './identity';
export { DataplaneProxy } from './proxy/dataplane-proxy';
// How late the sidecar's event loop runs (its metrics endpoint reports it).
export { EventLoopDelay, delayWindow, type EventLoopDelayWindow } from './event-loop-delay';

// The gRPC credentials the agent's stream is opened with.
export { credentials as grpcCredentials } from '@grpc/grpc-js';
