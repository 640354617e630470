/** Who may do what on the REST API (standalone or distributed, the admin token). */
export const ACCESS_SETTINGS = Symbol('AccessSettings');
export const RESOURCE_QUERIES = Symbol('ResourceQueries');
export const APPLY_RESOURCE = Symbol('ApplyResourceUseCase');
export const DELETE_RESOURCE = Symbol('DeleteResourceUseCase');
/** mesh-api's client of ca-signer: CA backends ensured and validated over the bus. */
export const MESH_CA_GATEWAY = Symbol('MeshCaGateway');
export const DATAPLANE_TOKENS = Symbol('DataplaneTokenService');
/** The resource store as the REST API reads it: caught up with every acknowledged write first. */
export const API_STORE = Symbol('ApiResourceStore');
