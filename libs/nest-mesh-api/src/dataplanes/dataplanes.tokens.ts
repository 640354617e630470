export const DP_SERVER_CONFIG = Symbol('DpServerConfig');
export const DATAPLANE_TOKEN_VERIFIER = Symbol('DataplaneTokenVerifier');
export const DATAPLANE_AUTHORIZER = Symbol('DataplaneAuthorizer');
