import type { InlineKeyLocation, ResourceKey, ResourceRecord, ResourceType } from '@meshtls/domain';
import { formatKey, mapMeshInlineKeys } from '@meshtls/domain';
import type { SecretCipher } from '../crypto/secret-cipher';
import type { ListOptions, ListResult, ResourceChange, ResourceStore } from '../ports/resource.store';

/** Types whose `spec.data` is a secret value. */
const SECRET_TYPES: ReadonlySet<ResourceType> = new Set<ResourceType>(['Secret', 'GlobalSecret']);

export interface EncryptedResourceStoreOptions {
  /**
   * Told about a watched change that could not be decrypted (the change is not passed on). Receives the
   * coded error, which names the resource and never the value.
   */
  readonly onWatchError?: (error: Error) => void;
  /**
   * Told, once per version of a Mesh, about each inline private key stored in plaintext (written before
   * such keys were encrypted): it is used as it is until the Mesh is written again. Never the value.
   */
  readonly onPlaintextKey?: (message: string) => void;
}

/**
 * Encrypts `spec.data` of Secret and GlobalSecret resources, and the private keys a Mesh holds inline
 * (`mtls.backends[].conf.key.inline` / `.inlineString` of provided backends), before they reach `inner`,
 * and decrypts them on the way out; other types and other fields pass through. Each value is bound to its
 * place (the resource, and for a Mesh key the backend's name and the field): copied elsewhere, it does
 * not decrypt.
 *
 * A stored Secret must be authenticated ciphertext: a value that is not (plaintext written straight into
 * the store, data of another type) or that does not decrypt raises `SecretDecryptionError`, and is never
 * returned as if it were the Secret. A Mesh key that is ciphertext must decrypt likewise; one in
 * plaintext was written before Mesh keys were encrypted, and is returned as it is (reported through
 * `onPlaintextKey`) so that upgrading does not stop a provided CA; writing the Mesh again encrypts it.
 * (Only mesh-api may write Meshes to the bucket, and it holds the encryption key anyway.)
 */
export class EncryptedResourceStore implements ResourceStore {
  /** Plaintext Mesh keys already reported (`onPlaintextKey`), by resource version and field. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly inner: ResourceStore,
    private readonly cipher: SecretCipher,
    private readonly options: EncryptedResourceStoreOptions = {},
  ) {}

  async get(key: ResourceKey): Promise<ResourceRecord | undefined> {
    const record = await this.inner.get(key);
    return record && this.open(record);
  }

  async list(type: ResourceType, options?: ListOptions): Promise<ListResult> {
    const result = await this.inner.list(type, options);
    return { total: result.total, items: result.items.map((r) => this.open(r)) };
  }

  async create(key: ResourceKey, spec: unknown): Promise<ResourceRecord> {
    return this.open(await this.inner.create(key, this.seal(key, spec)));
  }

  async update(key: ResourceKey, spec: unknown, expectedVersion: number): Promise<ResourceRecord> {
    return this.open(await this.inner.update(key, this.seal(key, spec), expectedVersion));
  }

  delete(key: ResourceKey, expectedVersion?: number): Promise<void> {
    return this.inner.delete(key, expectedVersion);
  }

  watch(listener: (change: ResourceChange) => void): () => void {
    return this.inner.watch((change) => {
      if (change.kind === 'delete') return listener(change);
      let record: ResourceRecord;
      try {
        record = this.open(change.record);
      } catch (err) {
        this.options.onWatchError?.(err as Error);
        return;
      }
      listener({ kind: 'upsert', record });
    });
  }

  caughtUp(): Promise<void> {
    return this.inner.caughtUp();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private seal(key: ResourceKey, spec: unknown): unknown {
    if (key.type === MESH) {
      return mapMeshInlineKeys(spec, (value, where) => this.cipher.encrypt(value, meshKeyAad(key, where)));
    }
    if (!SECRET_TYPES.has(key.type) || !hasStringData(spec)) return spec;
    return { ...spec, data: this.cipher.encrypt(spec.data, formatKey(key)) };
  }

  private open(record: ResourceRecord): ResourceRecord {
    if (record.meta.type === MESH) return this.openMesh(record);
    const spec = record.spec;
    // Nothing to protect without string data (seal leaves such a spec as it is, too); string data must
    // be ciphertext, which decrypt checks.
    if (!SECRET_TYPES.has(record.meta.type) || !hasStringData(spec)) return record;
    return {
      meta: record.meta,
      spec: { ...spec, data: this.cipher.decrypt(spec.data, formatKey(record.meta)) },
    };
  }

  private openMesh(record: ResourceRecord): ResourceRecord {
    const spec = mapMeshInlineKeys(record.spec, (value, where) => {
      const aad = meshKeyAad(record.meta, where);
      if (this.cipher.isEncrypted(value)) return this.cipher.decrypt(value, aad);
      this.reportPlaintext(record, where);
      return value;
    });
    return spec === record.spec ? record : { meta: record.meta, spec };
  }

  private reportPlaintext(record: ResourceRecord, where: InlineKeyLocation): void {
    if (!this.options.onPlaintextKey) return;
    const once = `${formatKey(record.meta)}@${record.meta.version} ${where.field}`;
    if (this.reported.has(once)) return;
    if (this.reported.size >= 1000) this.reported.clear(); // bounded; a repeat warning costs nothing
    this.reported.add(once);
    this.options.onPlaintextKey(
      `${formatKey(record.meta)}: the private key of backend "${where.backend}" (${where.field}) is stored in ` +
        'plaintext, written before Mesh keys were encrypted at rest; apply the Mesh again to encrypt it',
    );
  }
}

const MESH: ResourceType = 'Mesh';

/** What a Mesh key is bound to: the Mesh, the backend (by name: stable when backends move) and the field. */
function meshKeyAad(key: ResourceKey, where: InlineKeyLocation): string {
  return `${formatKey(key)} mtls.backends[name=${JSON.stringify(where.backend)}].conf.key.${where.form}`;
}

function hasStringData(spec: unknown): spec is { data: string } & Record<string, unknown> {
  return typeof spec === 'object' && spec !== null && typeof (spec as { data?: unknown }).data === 'string';
}
