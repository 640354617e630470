import type { ResourceKey, ResourceRecord, ResourceType } from '@meshtls/domain';
import { formatKey } from '@meshtls/domain';
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
}

/**
 * Encrypts `spec.data` of Secret and GlobalSecret resources before they reach `inner` and decrypts it on
 * the way out; other types and other fields pass through. A stored Secret must be authenticated
 * ciphertext: a value that is not (plaintext written straight into the store, data of another type) or
 * that does not decrypt raises `SecretDecryptionError`, and is never returned as if it were the Secret.
 */
export class EncryptedResourceStore implements ResourceStore {
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

  close(): Promise<void> {
    return this.inner.close();
  }

  private seal(key: ResourceKey, spec: unknown): unknown {
    if (!SECRET_TYPES.has(key.type) || !hasStringData(spec)) return spec;
    return { ...spec, data: this.cipher.encrypt(spec.data, formatKey(key)) };
  }

  private open(record: ResourceRecord): ResourceRecord {
    const spec = record.spec;
    // Nothing to protect without string data (seal leaves such a spec as it is, too); string data must
    // be ciphertext, which decrypt checks.
    if (!SECRET_TYPES.has(record.meta.type) || !hasStringData(spec)) return record;
    return {
      meta: record.meta,
      spec: { ...spec, data: this.cipher.decrypt(spec.data, formatKey(record.meta)) },
    };
  }
}

function hasStringData(spec: unknown): spec is { data: string } & Record<string, unknown> {
  return typeof spec === 'object' && spec !== null && typeof (spec as { data?: unknown }).data === 'string';
}
