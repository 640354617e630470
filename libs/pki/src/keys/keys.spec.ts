import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { KeyType } from '@meshtls/domain';
import { generateLeafKey } from './leaf-key.generator';
import { importSpki, spkiOf } from './public-key.codec';

describe('importSpki / spkiOf', () => {
  it.each([
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
    ['EC P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
    ['EC P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey],
    ['EC P-521', () => generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey],
    ['Ed25519 (generic decoder)', () => generateKeyPairSync('ed25519').publicKey],
  ])('imports %s keys equal to the original and remembers their SPKI', (_kind, make) => {
    const key = make();
    const spki = key.export({ type: 'spki', format: 'der' });
    const imported = importSpki(spki);
    expect(imported.equals(key)).toBe(true);
    expect(spkiOf(imported)).toBe(spki);
    expect(spkiOf(key)).toEqual(spki);
  });

  it('refuses an EC point that is not on the curve', () => {
    const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    spki[spki.length - 1] ^= 0x01;
    expect(() => importSpki(spki)).toThrow();
  });
});

describe('generateLeafKey', () => {
  it.each([
    [KeyType.EcP256, 'ec', 'prime256v1'],
    [KeyType.Rsa2048, 'rsa', undefined],
  ])('makes a %s key with its PKCS#8 PEM', async (kind, type, curve) => {
    const key = await generateLeafKey(kind);
    expect(key.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(key.privateKeyPem).equals(key.privateKey)).toBe(true);
    expect(key.publicKey.asymmetricKeyType).toBe(type);
    expect(key.publicKey.asymmetricKeyDetails?.namedCurve).toBe(curve);
    if (type === 'rsa') {
      expect(key.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    }
  });
});
