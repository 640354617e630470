export const DP_SERVER_CONFIG = Symbol('DpServerConfig');
export const DATAPLANE_TOKEN_VERIFIER = Symbol('DataplaneTokenVerifier');
export const DATAPLANE_AUTHORIZER = Symbol('DataplaneAuthorizer');
/** This replica's id on the bus and in leases: its instance id and a suffix new on every start. */
export const DATAPLANE_INSTANCE = Symbol('DataplaneInstance');
export const DATAPLANE_METRICS = Symbol('DataplaneMetrics');
export const ISSUED_IDENTITY_VERIFIER = Symbol('IssuedIdentityVerifier');
export const IDENTITY_ISSUER = Symbol('IdentityIssuer');
export const DATAPLANE_HUB = Symbol('DataplaneHub');
export const DATAPLANE_GAUGES = Symbol('DataplaneGauges');
export const DATAPLANE_GRPC_SERVER = Symbol('DataplaneGrpcServer');
