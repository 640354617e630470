// Dataplane and the endpoints it reaches.
export type { DataplaneSpec, Inbound } from './dataplane.types';
export { endpointsOf, outboundServicesOf } from './dataplane-endpoints.rules';
export type { ServiceEndpoint } from './dataplane-endpoints.rules';
