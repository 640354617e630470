export { DataplaneAgent } from './dataplane-agent';
export type { DataplaneAgentOptions, AgentEvents } from './dataplane-agent';
export type { DataplaneIdentity } from './identity';
export { backoffDelay } from './backoff';
export { CERT_DIR_FILES, writeCertDir } from './cert-dir.writer';
export { credentials as grpcCredentials } from '@grpc/grpc-js';
export { MESH_ALPN, classifyFirstBytes, offeredAlpn } from './proxy/first-bytes.classifier';
export type { FirstBytesVerdict } from './proxy/first-bytes.classifier';
