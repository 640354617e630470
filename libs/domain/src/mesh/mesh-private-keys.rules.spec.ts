import type { ResourceRecord } from '../resource';
import { REDACTED_VALUE, mapMeshInlineKeys, withoutPrivateKeys } from './mesh-private-keys.rules';

const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIID...\n-----END CERTIFICATE-----\n';

const meshSpec = () => ({
  mtls: {
    enabledBackend: 'corp',
    backends: [
      { name: 'ca-1', type: 'builtin', conf: { caCert: { RSAbits: 2048 } } },
      { name: 'corp', type: 'provided', conf: { cert: { inlineString: CERT }, key: { inlineString: KEY } } },
      { name: 'b64', type: 'provided', conf: { cert: { secret: 'c' }, key: { inline: 'a2V5' } } },
      { name: 'files', type: 'provided', conf: { cert: { file: '/c.pem' }, key: { file: '/k.pem' } } },
      { name: 'secrets', type: 'provided', conf: { cert: { secret: 'c' }, key: { secret: 'k' } } },
    ],
  },
});

const record = (type: string, spec: unknown): ResourceRecord => ({
  meta: {
    type: type as never,
    name: 'default',
    version: 1,
    creationTime: '2026-06-01T00:00:00.000Z',
    modificationTime: '2026-06-01T00:00:00.000Z',
  } as never,
  spec,
});

describe('mapMeshInlineKeys', () => {
  it('maps the inline and inlineString private keys of provided backends, and nothing else', () => {
    const seen: unknown[] = [];
    const spec = meshSpec();
    const mapped = mapMeshInlineKeys(spec, (value, where) => {
      seen.push({ value, ...where });
      return `sealed(${value})`;
    }) as ReturnType<typeof meshSpec>;
    expect(seen).toEqual([
      { value: KEY, backend: 'corp', form: 'inlineString', field: 'mtls.backends[1].conf.key.inlineString' },
      { value: 'a2V5', backend: 'b64', form: 'inline', field: 'mtls.backends[2].conf.key.inline' },
    ]);
    expect(mapped.mtls.backends[1]!.conf).toEqual({
      cert: { inlineString: CERT },
      key: { inlineString: `sealed(${KEY})` },
    });
    expect(mapped.mtls.backends[2]!.conf.key).toEqual({ inline: 'sealed(a2V5)' });
    expect(mapped.mtls.backends.filter((_, i) => i !== 1 && i !== 2)).toEqual(
      meshSpec().mtls.backends.filter((_, i) => i !== 1 && i !== 2),
    );
    expect(spec).toEqual(meshSpec()); // the input is left as it was
  });

  it('returns the spec itself when it holds no inline key, whatever its shape', () => {
    for (const spec of [
      {},
      { mtls: {} },
      { mtls: { backends: 'x' } },
      null,
      'x',
      { mtls: { backends: [null, { conf: { key: 'k' } }] } },
    ]) {
      expect(mapMeshInlineKeys(spec, () => 'changed')).toBe(spec);
    }
  });
});

describe('withoutPrivateKeys', () => {
  it('shows a Mesh with its inline private keys redacted, certificates and references as they are', () => {
    const shown = withoutPrivateKeys(record('Mesh', meshSpec()));
    expect(JSON.stringify(shown)).not.toContain('MIIE');
    expect(JSON.stringify(shown)).not.toContain('a2V5');
    expect(JSON.stringify(shown)).toContain('MIID');
    const backends = (shown.spec as ReturnType<typeof meshSpec>).mtls.backends;
    expect(backends[1]!.conf.key).toEqual({ inlineString: REDACTED_VALUE });
    expect(backends[2]!.conf.key).toEqual({ inline: REDACTED_VALUE });
    expect(backends[3]!.conf.key).toEqual({ file: '/k.pem' });
  });

  it('leaves other types alone', () => {
    const dataplane = record('Dataplane', { conf: { key: { inlineString: 'not a mesh' } } });
    expect(withoutPrivateKeys(dataplane)).toBe(dataplane);
  });
});
