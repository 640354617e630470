import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import {
  ResourceAlreadyExistsError,
  ResourceType,
  secretBytes,
  type ResourceKey,
  type SecretSpec,
} from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';
import { MeshNotFoundError } from '../../ports/ca.errors';
import {
  FIRST_SIGNING_KEY_SERIAL,
  parseSerial,
  signingKeySecretName,
  signingKeySerialOf,
} from './signing-key-names.rules';
import { SigningKeyInvalidError } from './tokens.errors';

/** A parsed signing key; `kid` is its serial as written in token headers. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

interface CachedKey {
  /** The Secret's `data` the key was parsed from: a Secret deleted and created again has another one. */
  readonly data: string;
  readonly key: SigningKey;
}

const generateEcKey = promisify(generateKeyPair);

/**
 * The dataplane-token signing keys of every mesh, kept as Secrets of the mesh (encrypted at rest like
 * every Secret). Parsed keys are cached, but the Secret is read on every use: deleting a key must revoke
 * its tokens at once on every replica, and one store read per dataplane connection is cheap.
 */
export class DataplaneSigningKeys {
  private readonly parsed = new Map<string, CachedKey>();
  /** First-key creations in flight in this process, so concurrent issues share one attempt. */
  private readonly creating = new Map<string, Promise<SigningKey>>();

  constructor(private readonly store: ResourceStore) {}

  /** The key new tokens of `mesh` are signed with (the highest serial), created on first use. */
  async current(mesh: string): Promise<SigningKey> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const serial = await this.latestSerial(mesh);
      if (serial === undefined) return this.createFirst(mesh);
      const key = await this.load(mesh, serial);
      if (key) return key;
      // Deleted between the list and the read (a rotation in progress): look again.
    }
    return this.createFirst(mesh);
  }

  /**
   * The key a token names (`kid`), or `undefined` when the mesh has no such key (never existed, rotated
   * out or deleted with the mesh). Throws `SigningKeyInvalidError` when the stored key is unusable.
   */
  async find(mesh: string, kid: string): Promise<SigningKey | undefined> {
    const serial = parseSerial(kid);
    return serial === undefined ? undefined : this.load(mesh, serial);
  }

  private async latestSerial(mesh: string): Promise<number | undefined> {
    const { items } = await this.store.list(ResourceType.Secret, { mesh });
    const serials = items
      .map((item) => signingKeySerialOf(mesh, item.meta.name))
      .filter((s): s is number => s !== undefined);
    return serials.length === 0 ? undefined : Math.max(...serials);
  }

  private async load(mesh: string, serial: number): Promise<SigningKey | undefined> {
    const record = await this.store.get(secretKey(mesh, serial));
    if (!record) return undefined;
    const data = (record.spec as SecretSpec).data;
    const cacheKey = `${mesh}/${serial}`;
    const cached = this.parsed.get(cacheKey);
    if (cached?.data === data) return cached.key;
    const key = parseKey(mesh, serial, data);
    this.parsed.set(cacheKey, { data, key });
    return key;
  }

  private createFirst(mesh: string): Promise<SigningKey> {
    const pending = this.creating.get(mesh);
    if (pending) return pending;
    const created = this.createIfAbsent(mesh).finally(() => this.creating.delete(mesh));
    this.creating.set(mesh, created);
    return created;
  }

  /**
   * Create-if-absent, so replicas racing on a mesh's first token make exactly one key: the loser's
   * create fails, it discards its key and uses the stored one.
   */
  private async createIfAbsent(mesh: string): Promise<SigningKey> {
    const serial = FIRST_SIGNING_KEY_SERIAL;
    const { privateKey } = await generateEcKey('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    try {
      await this.store.create(secretKey(mesh, serial), {
        data: Buffer.from(pem).toString('base64'),
      } satisfies SecretSpec);
    } catch (error) {
      if (!(error instanceof ResourceAlreadyExistsError)) throw error;
    }
    const stored = await this.load(mesh, serial);
    // Gone right after its creation: the mesh (and its Secrets) was deleted meanwhile.
    if (!stored) throw new MeshNotFoundError(mesh);
    return stored;
  }
}

function secretKey(mesh: string, serial: number): ResourceKey {
  return { type: ResourceType.Secret, mesh, name: signingKeySecretName(mesh, serial) };
}

function parseKey(mesh: string, serial: number, data: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: secretBytes({ data }).toString('utf8'), format: 'pem' });
  } catch {
    // The cause is dropped on purpose: OpenSSL messages may quote the bytes it failed on.
    throw new SigningKeyInvalidError(mesh, serial);
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new SigningKeyInvalidError(mesh, serial);
  }
  return { kid: String(serial), privateKey, publicKey: createPublicKey(privateKey) };
}
