import { MeshError } from '@meshtls/util';

/** The backend's CA does not exist (yet): the Mesh was stored without ca-signer ensuring it. */
export class CaNotReadyError extends MeshError {
  readonly code = 'ca.not-ready';

  constructor(mesh: string, backend: string) {
    super(
      `the CA of backend "${backend}" of mesh "${mesh}" does not exist yet; apply the Mesh again to create it`,
    );
  }
}

export class MeshNotFoundError extends MeshError {
  readonly code = 'ca.mesh-not-found';

  constructor(mesh: string) {
    super(`mesh "${mesh}" not found`);
  }
}

export class DataplaneNotFoundError extends MeshError {
  readonly code = 'ca.dataplane-not-found';

  constructor(mesh: string, dataplane: string) {
    super(`dataplane "${dataplane}" not found in mesh "${mesh}"`);
  }
}

/** No enabled backend: the mesh issues no certificates. */
export class MtlsDisabledError extends MeshError {
  readonly code = 'ca.mtls-disabled';

  constructor(mesh: string) {
    super(`mTLS is disabled on mesh "${mesh}": set mtls.enabledBackend to issue certificates`);
  }
}
