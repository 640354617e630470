import { parseResource } from '../universal/parse-resource';
import { storedSpecViolations } from '../universal/stored-spec.validator';
import { violationsOf } from '../test-support/violations-of';

/** What the PUT answer warns about for an accepted document. */
const warningsOf = (document: unknown) => parseResource(document).warnings;
const mesh = (mtls: unknown) => ({ type: 'Mesh', name: 'default', mtls });
const builtin = (extra: object = {}) => ({ name: 'ca-1', type: 'builtin', ...extra });

describe('Mesh validation', () => {
  describe('valid meshes', () => {
    it('accepts a mesh without mtls and stores an empty spec', () => {
      expect(parseResource({ type: 'Mesh', name: 'default' })).toEqual({
        warnings: [],
        key: { type: 'Mesh', name: 'default' },
        spec: {},
      });
    });

    it('accepts a full builtin backend and keeps every field as written', () => {
      const mtls = {
        enabledBackend: 'ca-1',
        backends: [
          builtin({
            mode: 'PERMISSIVE',
            dpCert: { rotation: { expiration: '1d' }, requestTimeout: '10s' },
            conf: { caCert: { RSAbits: 4096, expiration: '5y' } },
          }),
        ],
      };
      expect(parseResource(mesh(mtls)).spec).toEqual({ mtls });
    });

    it('accepts several backends of both types with only one enabled', () => {
      const mtls = {
        enabledBackend: 'ca-2',
        backends: [
          builtin(),
          {
            name: 'ca-2',
            type: 'provided',
            mode: 'STRICT',
            conf: { cert: { secret: 'my-cert' }, key: { inline: 'a2V5' }, skipValidation: false },
          },
          {
            name: 'ca-3',
            type: 'provided',
            conf: { cert: { file: '/c.pem' }, key: { inlineString: 'KEY' } },
          },
        ],
      };
      expect(parseResource(mesh(mtls)).spec).toEqual({ mtls });
    });

    it.each([[''], [undefined]])('means mTLS off when enabledBackend is %j', (enabledBackend) => {
      expect(() => parseResource(mesh({ enabledBackend, backends: [] }))).not.toThrow();
    });

    it('treats null fields from YAML as absent', () => {
      expect(parseResource(mesh(null)).spec).toEqual({});
      expect(parseResource(mesh({ backends: [builtin({ dpCert: null, conf: null })] })).spec).toEqual({
        mtls: { backends: [builtin()] },
      });
    });
  });

  describe('mtls', () => {
    it('requires enabledBackend to name a listed backend', () => {
      expect(violationsOf(mesh({ enabledBackend: 'ca-2', backends: [builtin()] }))).toEqual([
        { field: 'mtls.enabledBackend', message: 'has to be set to one of the backends in the mesh' },
      ]);
      expect(violationsOf(mesh({ enabledBackend: 'ca-1' }))).toEqual([
        { field: 'mtls.enabledBackend', message: 'has to be set to one of the backends in the mesh' },
      ]);
    });

    it('refuses a second backend with the same name', () => {
      expect(violationsOf(mesh({ backends: [builtin(), builtin(), builtin()] }))).toEqual([
        { field: 'mtls.backends[1].name', message: '"ca-1" name is already used for another backend' },
        { field: 'mtls.backends[2].name', message: '"ca-1" name is already used for another backend' },
      ]);
    });

    it('reports wrong JSON types', () => {
      expect(violationsOf(mesh({ backends: { name: 'x' }, enabledBackend: 1 }))).toEqual([
        { field: 'mtls.enabledBackend', message: 'must be a string' },
        { field: 'mtls.backends', message: 'must be an array' },
      ]);
      expect(violationsOf(mesh('on'))).toEqual([{ field: 'mtls', message: 'must be an object' }]);
    });

    it('leaves out unknown fields as Kuma does, and says so', () => {
      const document = mesh({ enabledbackend: 'ca-1' });
      expect(parseResource(document).spec).toEqual({ mtls: {} });
      expect(warningsOf(document)).toEqual(['mtls.enabledbackend: unknown field, ignored (not stored)']);
    });

    it('keeps skipValidation, a boolean', () => {
      expect(parseResource(mesh({ skipValidation: true })).spec).toEqual({ mtls: { skipValidation: true } });
      expect(violationsOf(mesh({ skipValidation: 'yes' }))).toEqual([
        { field: 'mtls.skipValidation', message: 'must be a boolean' },
      ]);
    });
  });

  describe('backend', () => {
    const backendViolations = (backend: unknown) => violationsOf(mesh({ backends: [backend] }));

    it('requires name and type', () => {
      expect(backendViolations({})).toEqual([
        { field: 'mtls.backends[0].name', message: 'cannot be empty' },
        { field: 'mtls.backends[0].type', message: 'cannot be empty' },
      ]);
      expect(backendViolations(null)).toEqual([{ field: 'mtls.backends[0]', message: 'must be defined' }]);
    });

    it('refuses an unknown type', () => {
      expect(backendViolations(builtin({ type: 'vault' }))).toEqual([
        { field: 'mtls.backends[0].type', message: 'could not find installed plugin for this type' },
      ]);
    });

    it("checks builtin names as Kuma's builtin plugin does (they become Secret names), on its path", () => {
      const field = 'mtls.backends[0].conf.mtls.backends.name';
      expect(backendViolations(builtin({ name: 'builtinCA' }))).toEqual([
        { field, message: '"builtinCA" name must be valid dns name' },
      ]);
      expect(backendViolations(builtin({ name: 'ca_1' }))).toEqual([
        { field, message: '"ca_1" name must be valid dns name' },
      ]);
      // the lengths depend on the mesh's name: checked by ca-signer, where the mesh is known
      const long = `${'a'.repeat(60)}.${'b'.repeat(63)}`;
      expect(() => parseResource(mesh({ backends: [builtin({ name: long })] }))).not.toThrow();
    });

    it('applies the resource name rules to provided backend names', () => {
      const provided = {
        name: 'CA_1',
        type: 'provided',
        conf: { cert: { secret: 'c' }, key: { secret: 'k' } },
      };
      expect(backendViolations(provided)).toEqual([
        {
          field: 'mtls.backends[0].name',
          message:
            "invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        },
      ]);
    });

    it('refuses an unknown mode', () => {
      expect(backendViolations(builtin({ mode: 'strict' }))).toEqual([
        { field: 'mtls.backends[0].mode', message: '"mode" must be one of ["STRICT", "PERMISSIVE"]' },
      ]);
    });

    it('leaves out unknown backend fields, and says so', () => {
      const document = mesh({ backends: [builtin({ dpcert: {} })] });
      expect(parseResource(document).spec).toEqual({ mtls: { backends: [builtin()] } });
      expect(warningsOf(document)).toEqual(['mtls.backends[0].dpcert: unknown field, ignored (not stored)']);
    });

    it('keeps rootChain and says it is not acted on', () => {
      const document = mesh({ backends: [builtin({ rootChain: { requestTimeout: '1.5s' } })] });
      expect(parseResource(document).spec).toEqual(document.mtls && { mtls: document.mtls });
      expect(warningsOf(document)).toEqual(['mtls.backends[0].rootChain: stored, not enforced by meshtls']);
      expect(violationsOf(mesh({ backends: [builtin({ rootChain: { requestTimeout: 'soon' } })] }))).toEqual([
        { field: 'mtls.backends[0].rootChain.requestTimeout', message: 'has to be a valid format' },
      ]);
    });
  });

  describe('dpCert', () => {
    const dpCertViolations = (dpCert: unknown) => violationsOf(mesh({ backends: [builtin({ dpCert })] }));

    it.each(['1x', '', '30', '1.5d', 'P30D'])("refuses expiration %j on Kuma's path", (expiration) => {
      expect(dpCertViolations({ rotation: { expiration } })).toEqual([
        { field: 'mtls.dpcert.rotation.expiration', message: 'has to be a valid format' },
      ]);
    });

    it('refuses a zero expiration; accepts a zero request timeout, stored and not acted on', () => {
      expect(dpCertViolations({ rotation: { expiration: '0' }, requestTimeout: '0s' })).toEqual([
        { field: 'mtls.dpcert.rotation.expiration', message: 'must be greater than 0' },
      ]);
      expect(warningsOf(mesh({ backends: [builtin({ dpCert: { requestTimeout: '0s' } })] }))).toEqual([
        'mtls.backends[0].dpCert.requestTimeout: stored, not enforced by meshtls',
      ]);
    });

    it('checks requestTimeout as a protobuf duration (or an earlier `1m`), and JSON types', () => {
      expect(() =>
        parseResource(mesh({ backends: [builtin({ dpCert: { requestTimeout: '1m' } })] })),
      ).not.toThrow();
      expect(dpCertViolations({ rotation: { expiration: 30 }, requestTimeout: '10 s' })).toEqual([
        { field: 'mtls.dpcert.rotation.expiration', message: 'must be a string' },
        { field: 'mtls.backends[0].dpCert.requestTimeout', message: 'has to be a valid format' },
      ]);
    });

    it('leaves out unknown fields', () => {
      const document = mesh({ backends: [builtin({ dpCert: { rotation: { expiry: '1d' } } })] });
      expect(() => parseResource(document)).not.toThrow();
      expect(warningsOf(document)).toEqual([
        'mtls.backends[0].dpCert.rotation.expiry: unknown field, ignored (not stored)',
      ]);
    });
  });

  describe('builtin conf', () => {
    const confViolations = (conf: unknown) => violationsOf(mesh({ backends: [builtin({ conf })] }));

    it.each([1024, 16384])('refuses RSAbits %d', (RSAbits) => {
      expect(confViolations({ caCert: { RSAbits } })).toEqual([
        { field: 'mtls.backends[0].conf.caCert.RSAbits', message: 'must be in inclusive range [2048, 8192]' },
      ]);
    });

    it('checks RSAbits type and caCert expiration', () => {
      expect(confViolations({ caCert: { RSAbits: '2048', expiration: '10 years' } })).toEqual([
        { field: 'mtls.backends[0].conf.caCert.RSAbits', message: 'must be a number' },
        { field: 'mtls.backends[0].conf.caCert.expiration', message: 'has to be a valid format' },
      ]);
      expect(confViolations({ caCert: { RSAbits: 2048.5 } })).toEqual([
        { field: 'mtls.backends[0].conf.caCert.RSAbits', message: 'must be an integer' },
      ]);
    });

    it('keeps fields a builtin conf does not use, as Kuma keeps its conf struct, and says so', () => {
      const document = mesh({ backends: [builtin({ conf: { cert: { secret: 'x' } } })] });
      expect(() => parseResource(document)).not.toThrow();
      expect(parseResource(document).spec).toEqual({ mtls: document.mtls });
      expect(warningsOf(document)).toEqual([
        'mtls.backends[0].conf.cert: not a field of this backend type: stored as given (Kuma keeps it too), not used',
      ]);
    });
  });

  describe('provided conf', () => {
    const provided = (conf: unknown) => ({ name: 'ca-1', type: 'provided', conf });
    const confViolations = (conf: unknown) => violationsOf(mesh({ backends: [provided(conf)] }));

    it('requires cert and key', () => {
      const expected = [
        { field: 'mtls.backends[0].conf.cert', message: 'has to be defined' },
        { field: 'mtls.backends[0].conf.key', message: 'has to be defined' },
      ];
      expect(confViolations(undefined)).toEqual(expected);
      expect(confViolations({})).toEqual(expected);
    });

    it('requires exactly one data source', () => {
      expect(confViolations({ cert: {}, key: { secret: 'k', file: '/k.pem' } })).toEqual([
        {
          field: 'mtls.backends[0].conf.cert',
          message: 'data source has to be chosen. Available sources: secret, file, inline',
        },
        {
          field: 'mtls.backends[0].conf.key',
          message: 'data source must have only one type defined: secret, file, inline, inlineString',
        },
      ]);
    });

    it('checks each data source value', () => {
      expect(confViolations({ cert: { secret: '' }, key: { inline: 'not base64!' } })).toEqual([
        { field: 'mtls.backends[0].conf.cert.secret', message: 'cannot be empty' },
        { field: 'mtls.backends[0].conf.key.inline', message: 'must be a valid base64 string' },
      ]);
      expect(confViolations({ cert: { file: 1 }, key: { secrets: 'k' } })).toEqual([
        { field: 'mtls.backends[0].conf.cert.file', message: 'must be a string' },
        {
          field: 'mtls.backends[0].conf.key',
          message: 'data source has to be chosen. Available sources: secret, file, inline',
        },
      ]);
    });

    it('refuses the redaction marker a non-admin read shows instead of a key, saying what it is', () => {
      const message =
        'is "[redacted]", what is shown instead of a private key to readers without the admin token: ' +
        'give the key itself';
      expect(confViolations({ cert: { inline: '[redacted]' }, key: { inlineString: '[redacted]' } })).toEqual(
        [
          { field: 'mtls.backends[0].conf.cert.inline', message },
          { field: 'mtls.backends[0].conf.key.inlineString', message },
        ],
      );
    });

    it('checks skipValidation is a boolean and keeps builtin fields', () => {
      expect(
        confViolations({ cert: { secret: 'c' }, key: { secret: 'k' }, skipValidation: 'yes', caCert: {} }),
      ).toEqual([{ field: 'mtls.backends[0].conf.skipValidation', message: 'must be a boolean' }]);
    });
  });

  it('reports every violation of a document at once', () => {
    const violations = violationsOf({
      type: 'Mesh',
      name: 'default',
      mtls: {
        enabledBackend: 'missing',
        backends: [builtin({ dpCert: { rotation: { expiration: 'soon' } } }), builtin()],
      },
    });
    expect(violations).toEqual([
      { field: 'mtls.dpcert.rotation.expiration', message: 'has to be a valid format' },
      { field: 'mtls.backends[1].name', message: '"ca-1" name is already used for another backend' },
      { field: 'mtls.enabledBackend', message: 'has to be set to one of the backends in the mesh' },
    ]);
  });

  it('refuses a value kept as given that nests deeper than the store can write, naming its section', () => {
    const deep = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);
    expect(violationsOf({ type: 'Mesh', name: 'd', logging: { x: deep(100_000) } })).toEqual([
      { field: 'logging', message: 'is nested deeper than 32 levels' },
    ]);
    expect(violationsOf(mesh({ backends: [builtin({ conf: { extra: deep(40) } })] }))).toEqual([
      { field: 'mtls.backends[0].conf', message: 'is nested deeper than 32 levels' },
    ]);
    expect(() => parseResource({ type: 'Mesh', name: 'd', logging: { x: deep(31) } })).not.toThrow();
  });

  it('re-validates what it stored, every Kuma field included, as a reader of the store does', () => {
    const { spec } = parseResource({
      type: 'Mesh',
      name: 'default',
      mtls: {
        enabledBackend: 'ca-1',
        skipValidation: true,
        backends: [
          builtin({
            rootChain: { requestTimeout: '1s' },
            dpCert: { requestTimeout: '2s' },
            conf: { extra: [1] },
          }),
          { name: 'p', type: 'provided', conf: { cert: { secret: 'c' }, key: { file: '/k' }, note: 'kept' } },
        ],
      },
      logging: { backends: [{ name: 'f', type: 'file', conf: { path: '/log' } }] },
      metrics: { backends: [{ name: 'p', type: 'prometheus' }] },
      constraints: { dataplaneProxy: { restrictions: [{ tags: { a: 'b' } }] } },
      meshServices: { mode: 'Everywhere' },
    });
    expect(storedSpecViolations('Mesh', spec)).toEqual([]);
    expect(storedSpecViolations('Mesh', { ...(spec as object), routing: { zoneEgress: 'yes' } })).toEqual([
      { field: 'routing.zoneEgress', message: 'must be a boolean' },
    ]);
  });
});
