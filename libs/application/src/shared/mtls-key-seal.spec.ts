import { SecretCipher } from '@meshtls/store/adapters';
import type { MtlsSpec } from '@meshtls/domain';
import { MtlsKeySeal, UnsealedKeyError } from './mtls-key-seal';

const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n';
const mtls = {
  enabledBackend: 'corp',
  backends: [
    { name: 'ca-1', type: 'builtin' },
    { name: 'corp', type: 'provided', conf: { cert: { inlineString: 'CERT' }, key: { inlineString: KEY } } },
  ],
} as unknown as MtlsSpec;
const keyOf = (spec: unknown) =>
  (spec as { backends: { conf?: { key?: { inlineString?: string } } }[] }).backends[1]!.conf!.key!
    .inlineString;

describe('MtlsKeySeal', () => {
  const seal = new MtlsKeySeal(new SecretCipher(SecretCipher.generateKey()));

  it('seals inline keys only, and opens them back for the same mesh', () => {
    const sealed = seal.seal('corp', mtls);
    expect(JSON.stringify(sealed)).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(sealed)).toContain('"inlineString":"CERT"');
    expect(keyOf(sealed)).toMatch(/^enc:v1:/);
    expect(seal.open('corp', sealed)).toEqual(mtls);
    expect(seal.seal('corp', undefined)).toBeUndefined();
  });

  it('refuses a key that came unsealed, sealed for another mesh, or with another at-rest key', () => {
    expect(() => seal.open('corp', mtls)).toThrow(
      new UnsealedKeyError('mtls.backends[1].conf.key.inlineString came over the bus unsealed: refused'),
    );
    expect(() => seal.open('other', seal.seal('corp', mtls))).toThrow(/not sealed for mesh "other"/);
    const stranger = new MtlsKeySeal(new SecretCipher(SecretCipher.generateKey()));
    expect(() => seal.open('corp', stranger.seal('corp', mtls))).toThrow(UnsealedKeyError);
  });
});
