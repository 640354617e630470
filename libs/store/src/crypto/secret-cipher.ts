import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { MeshError } from '@meshtls/util';
import type { SecretEncryption } from '../ports/secret-encryption';

/** The key given to SecretCipher is not 32 bytes of base64. The message never contains the key. */
export class SecretKeyError extends MeshError {
  readonly code = 'secret.key-invalid';
}

/** A stored secret value could not be decrypted: another key, or data that was altered or moved. */
export class SecretDecryptionError extends MeshError {
  readonly code = 'secret.decrypt-failed';
}

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * AES-256-GCM for secret values at rest. Output: `enc:v1:<iv>:<ciphertext>:<tag>` (base64 parts) with a
 * random 12-byte IV per call. The caller's `aad` (the resource key) is authenticated, so a value copied to
 * another secret fails to decrypt instead of revealing itself there. `v1` leaves room for another scheme
 * or key rotation later.
 */
export class SecretCipher implements SecretEncryption {
  static readonly prefix = PREFIX;
  private readonly key: KeyObject;

  /** `keyBase64`: 32 random bytes in base64, e.g. from `SecretCipher.generateKey()`. */
  constructor(keyBase64: string) {
    const trimmed = keyBase64.trim();
    const bytes = BASE64.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
    if (bytes.length !== 32) {
      throw new SecretKeyError(
        `the secret encryption key must be 32 bytes in base64 (got ${bytes.length} bytes)`,
      );
    }
    this.key = createSecretKey(bytes);
    bytes.fill(0);
  }

  /** A new random key, base64. */
  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }

  isEncrypted(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}${iv.toString('base64')}:${body.toString('base64')}:${cipher.getAuthTag().toString('base64')}`;
  }

  /** The plaintext of `encrypt(plaintext, aad)`; SecretDecryptionError for any other input. */
  decrypt(value: string, aad: string): string {
    const parts = value.startsWith(PREFIX) ? value.slice(PREFIX.length).split(':') : [];
    const [iv, body, tag] = parts.map((p) => Buffer.from(p, 'base64'));
    if (parts.length !== 3 || iv!.length !== IV_BYTES || tag!.length !== TAG_BYTES) {
      throw new SecretDecryptionError(`${aad}: stored secret value is not in the enc:v1 format`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv!, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag!);
      return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new SecretDecryptionError(
        `${aad}: cannot decrypt the stored secret value (wrong encryption key, or the value was altered or moved)`,
        { cause: err },
      );
    }
  }
}
