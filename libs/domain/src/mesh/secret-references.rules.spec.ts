import { secretInUseMessage, secretReferencesOf } from './secret-references.rules';

describe('secretReferencesOf', () => {
  it('lists the CA pair of each builtin backend and the secret sources of provided ones', () => {
    expect(
      secretReferencesOf('default', {
        mtls: {
          enabledBackend: 'ca-1',
          backends: [
            { name: 'ca-1', type: 'builtin' },
            {
              name: 'ca-2',
              type: 'provided',
              conf: { cert: { secret: 'my-cert' }, key: { inline: 'a2V5' } },
            },
          ],
        },
      }),
    ).toEqual([
      { secret: 'default.ca-builtin-cert-ca-1', backend: 'ca-1' },
      { secret: 'default.ca-builtin-key-ca-1', backend: 'ca-1' },
      { secret: 'my-cert', backend: 'ca-2' },
    ]);
  });

  it('is empty without mTLS', () => {
    expect(secretReferencesOf('default', {})).toEqual([]);
  });
});

describe('secretInUseMessage', () => {
  it("is Kuma's message", () => {
    expect(secretInUseMessage('s', 'm', 'b')).toBe(
      'The secret "s" that you are trying to remove is currently in use in Mesh "m" in mTLS backend "b". ' +
        'Please remove the reference from the "b" backend before removing the secret.',
    );
  });
});
