import { SecretCipher, SecretDecryptionError, SecretKeyError } from './secret-cipher';

describe('SecretCipher', () => {
  const key = SecretCipher.generateKey();
  const cipher = new SecretCipher(key);

  it('round-trips with a fresh IV each time', () => {
    const a = cipher.encrypt('czNjcjN0', 'Secret/default/x');
    const b = cipher.encrypt('czNjcjN0', 'Secret/default/x');
    expect(a.startsWith('enc:v1:')).toBe(true);
    expect(a).not.toBe(b);
    expect(a).not.toContain('czNjcjN0');
    expect(cipher.decrypt(a, 'Secret/default/x')).toBe('czNjcjN0');
    expect(cipher.decrypt(b, 'Secret/default/x')).toBe('czNjcjN0');
  });

  it('refuses a value moved to another key, altered, or read with another key', () => {
    const sealed = cipher.encrypt('cGxhaW50ZXh0', 'Secret/default/x');
    expect(() => cipher.decrypt(sealed, 'Secret/default/y')).toThrow(SecretDecryptionError);
    const parts = sealed.split(':');
    parts[3] = Buffer.from('other!').toString('base64');
    expect(() => cipher.decrypt(parts.join(':'), 'Secret/default/x')).toThrow(SecretDecryptionError);
    const other = new SecretCipher(SecretCipher.generateKey());
    let error: unknown;
    try {
      other.decrypt(sealed, 'Secret/default/x');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect((error as SecretDecryptionError).code).toBe('secret.decrypt-failed');
    expect((error as Error).message).not.toContain('cGxhaW50ZXh0');
    expect(() => cipher.decrypt('enc:v1:nonsense', 'k')).toThrow(SecretDecryptionError);
  });

  it('accepts only 32-byte base64 keys and never echoes the key', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    expect(() => new SecretCipher(short)).toThrow(SecretKeyError);
    expect(() => new SecretCipher('not base64 at all!')).toThrow(SecretKeyError);
    try {
      new SecretCipher(short);
    } catch (e) {
      expect((e as Error).message).not.toContain(short);
    }
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
  });
});
