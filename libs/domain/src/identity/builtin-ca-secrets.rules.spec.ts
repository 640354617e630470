import {
  builtinCaCertSecretName,
  builtinCaKeySecretName,
  builtinCaSecretNames,
} from './builtin-ca-secrets.rules';

describe('builtin CA secret names', () => {
  it('follows Kuma: {mesh}.ca-builtin-cert-{backend} and {mesh}.ca-builtin-key-{backend}', () => {
    expect(builtinCaCertSecretName('default', 'ca-1')).toBe('default.ca-builtin-cert-ca-1');
    expect(builtinCaKeySecretName('default', 'ca-1')).toBe('default.ca-builtin-key-ca-1');
    expect(builtinCaSecretNames('demo', 'b')).toEqual({
      cert: 'demo.ca-builtin-cert-b',
      key: 'demo.ca-builtin-key-b',
    });
  });
});
