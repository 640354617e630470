import { createPrivateKey, createPublicKey } from 'node:crypto';
import {
  ResourceAlreadyExistsError,
  ResourceType,
  builtinCaSecretNames,
  builtinNamePath,
  MeshMessages,
  NameLimits,
  caCertRsaBitsOf,
  caCertValidityMs,
  secretBytes,
  type BuiltinMtlsBackend,
  type MtlsBackend,
  type ResourceKey,
  type ResourceRecord,
  type SecretSpec,
} from '@meshtls/domain';
import { SigningCa, builtinCaCertificate, createBuiltinCa } from '@meshtls/pki';
import type { ResourceStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import type { CaManager } from './ca-manager';
import type { BackendReport } from '../ports/mtls-validation.contract';
import { CaNotReadyError } from '../ports/ca.errors';

/** The longest label of a DNS name. */
const DNS_LABEL_MAX = 63;

export interface BuiltinCaManagerOptions {
  /** How long to wait for a racing creator to store its certificate before finishing its work. */
  readonly certificateWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * builtin backends: the CA is generated here and kept as two Secrets of the mesh. Creation is safe under
 * races between replicas: the key Secret is created first with create-if-absent, so exactly one
 * generated CA wins; losers discard theirs and use the winner's. Existing CAs are never regenerated.
 */
export class BuiltinCaManager implements CaManager {
  private readonly certificateWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly store: ResourceStore,
    private readonly clock: Clock,
    options: BuiltinCaManagerOptions = {},
  ) {
    this.certificateWaitMs = options.certificateWaitMs ?? 5000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Its shape is checked by the Mesh validation; here, where the mesh is known, Kuma's checks of the
   * Secret name the CA is kept under: a DNS name (labels of at most 63 characters), at most a resource
   * name's 253 characters here (Kuma: 255).
   */
  async validate(mesh: string, backend: MtlsBackend, index: number): Promise<BackendReport> {
    const secret = builtinCaSecretNames(mesh, backend.name).cert;
    const field = builtinNamePath(index).toString();
    const refuse = (message: string) => ({ violations: [{ field, message }], warnings: [] });
    if (secret.length > NameLimits.resource) {
      return refuse(MeshMessages.builtinNameTooLong(NameLimits.resource));
    }
    if (secret.split('.').some((label) => label.length > DNS_LABEL_MAX)) {
      return refuse(MeshMessages.builtinNameNotDns(backend.name));
    }
    return { violations: [], warnings: [] };
  }

  async ensure(mesh: string, backend: MtlsBackend): Promise<'created' | 'existing'> {
    const keys = this.secretKeys(mesh, backend.name);
    const [cert, key] = await Promise.all([this.store.get(keys.cert), this.store.get(keys.key)]);
    if (cert && key) return 'existing';
    if (!key) {
      const ca = await createBuiltinCa({
        mesh,
        backend: backend.name,
        rsaBits: caCertRsaBitsOf(backend as BuiltinMtlsBackend),
        validityMs: caCertValidityMs(backend as BuiltinMtlsBackend),
        now: this.clock.now(),
      });
      if (await this.createIfAbsent(keys.key, ca.keyPem)) {
        await this.createIfAbsent(keys.cert, ca.certPem);
        return 'created';
      }
    }
    if (await this.waitForCertificate(keys.cert)) return 'existing';
    await this.completeFromStoredKey(mesh, backend as BuiltinMtlsBackend, keys);
    return 'existing';
  }

  async load(mesh: string, backend: MtlsBackend): Promise<SigningCa> {
    const keys = this.secretKeys(mesh, backend.name);
    const [cert, key] = await Promise.all([this.store.get(keys.cert), this.store.get(keys.key)]);
    if (!cert || !key) throw new CaNotReadyError(mesh, backend.name);
    return SigningCa.load({ certChainPem: pemOf(cert), keyPem: pemOf(key) });
  }

  private secretKeys(mesh: string, backend: string): { cert: ResourceKey; key: ResourceKey } {
    const names = builtinCaSecretNames(mesh, backend);
    return {
      cert: { type: ResourceType.Secret, mesh, name: names.cert },
      key: { type: ResourceType.Secret, mesh, name: names.key },
    };
  }

  private async createIfAbsent(key: ResourceKey, pem: string): Promise<boolean> {
    try {
      await this.store.create(key, { data: Buffer.from(pem).toString('base64') } satisfies SecretSpec);
      return true;
    } catch (error) {
      if (error instanceof ResourceAlreadyExistsError) return false;
      throw error;
    }
  }

  private async waitForCertificate(key: ResourceKey): Promise<boolean> {
    const step = 50;
    for (let waited = 0; waited < this.certificateWaitMs; waited += step) {
      if (await this.store.get(key)) return true;
      await this.sleep(step);
    }
    return (await this.store.get(key)) !== undefined;
  }

  /** The creator stored its key and died before its certificate: certify the stored key, once. */
  private async completeFromStoredKey(
    mesh: string,
    backend: BuiltinMtlsBackend,
    keys: { cert: ResourceKey; key: ResourceKey },
  ): Promise<void> {
    const key = await this.store.get(keys.key);
    if (!key) throw new CaNotReadyError(mesh, backend.name);
    const privateKey = createPrivateKey(pemOf(key));
    const certPem = builtinCaCertificate({
      mesh,
      backend: backend.name,
      privateKey,
      publicKey: createPublicKey(privateKey),
      validityMs: caCertValidityMs(backend),
      now: this.clock.now(),
    });
    await this.createIfAbsent(keys.cert, certPem);
  }
}

function pemOf(record: ResourceRecord): string {
  return secretBytes(record.spec as SecretSpec).toString('utf8');
}
