import { mapMeshInlineKeys, type MtlsSpec } from '@meshtls/domain';
import type { SecretEncryption } from '@meshtls/store';
import { MeshError } from '@meshtls/util';

/** A provided CA's inline key came over the bus unsealed, or sealed for another mesh or backend. */
export class UnsealedKeyError extends MeshError {
  readonly code = 'ca.unsealed-key';
}

/**
 * Seals the inline private keys of a Mesh's `mtls` (a provided backend's `conf.key.inline` or
 * `inlineString`) for the trip from mesh-api to ca-signer, with the at-rest key both hold: what crosses
 * the bus is authenticated ciphertext bound to the mesh, backend and field, never a key. ca-signer opens
 * it and refuses a key that was not sealed.
 */
export class MtlsKeySeal {
  constructor(private readonly cipher: SecretEncryption) {}

  seal(mesh: string, mtls: MtlsSpec | undefined): MtlsSpec | undefined {
    return this.map(mtls, (value, aad) => this.cipher.encrypt(value, aad), mesh);
  }

  /** The keys as they were applied; UnsealedKeyError for one that is not sealed for this place. */
  open(mesh: string, mtls: unknown): unknown {
    return this.map(
      mtls,
      (value, aad, field) => {
        if (!this.cipher.isEncrypted(value)) {
          throw new UnsealedKeyError(`${field} came over the bus unsealed: refused`);
        }
        try {
          return this.cipher.decrypt(value, aad);
        } catch {
          throw new UnsealedKeyError(`${field} is not sealed for mesh "${mesh}": refused`);
        }
      },
      mesh,
    );
  }

  private map<T>(mtls: T, fn: (value: string, aad: string, field: string) => string, mesh: string): T {
    if (mtls === undefined || mtls === null) return mtls;
    const spec = mapMeshInlineKeys({ mtls }, (value, where) =>
      fn(value, `bus:mtls:${mesh}:${where.backend}:${where.form}`, where.field),
    ) as { mtls: T };
    return spec.mtls;
  }
}
