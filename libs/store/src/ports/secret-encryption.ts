/**
 * The encryption of secret values at rest, bound to what holds them: `aad` (a resource key, a field) is
 * authenticated, so a value copied elsewhere fails to decrypt instead of revealing itself there. The
 * composition root gives the adapter (`SecretCipher` of `@meshtls/store/adapters`).
 */
export interface SecretEncryption {
  /** Whether the value is in the encrypted form (it may still fail to decrypt). */
  isEncrypted(value: string): boolean;
  encrypt(plaintext: string, aad: string): string;
  /** The plaintext of `encrypt(plaintext, aad)`; throws for any other input. */
  decrypt(value: string, aad: string): string;
}
