import { decodeKvKey, decodeSegment, encodeKvKey, encodeSegment } from './kv-key.codec';

const KV_KEY = /^[-/_=.a-zA-Z0-9]+$/;

describe('KV key codec', () => {
  it('keeps plain names readable and escapes dots', () => {
    expect(encodeKvKey({ type: 'Secret', mesh: 'default', name: 'default.ca-builtin-cert-ca-1' })).toBe(
      'Secret.default.default=2Eca-builtin-cert-ca-1',
    );
    expect(encodeKvKey({ type: 'Mesh', name: 'default' })).toBe('Mesh.default');
  });

  it('round-trips any name into a valid single-token segment', () => {
    for (const s of ['a.b', 'x=y', 'é/ü', 'a b', '*', '>', '=2E', 'a..b', '日本']) {
      const token = encodeSegment(s);
      expect(token).toMatch(KV_KEY);
      expect(token).not.toContain('.');
      expect(decodeSegment(token)).toBe(s);
    }
  });

  it('never lets one mesh prefix match another mesh', () => {
    const prefix = `Secret.${encodeSegment('default')}.`;
    for (const other of ['default.x', 'default-2', 'defaults', 'default=']) {
      expect(encodeKvKey({ type: 'Secret', mesh: other, name: 'n' }).startsWith(prefix)).toBe(false);
    }
  });

  it('decodes only keys it could have written', () => {
    expect(decodeKvKey('Secret.m=2E1.n')).toEqual({ type: 'Secret', mesh: 'm.1', name: 'n' });
    expect(decodeKvKey('GlobalSecret.x')).toEqual({ type: 'GlobalSecret', name: 'x' });
    expect(decodeKvKey('Unknown.x')).toBeUndefined();
    expect(decodeKvKey('Secret.a.b.c')).toBeUndefined();
  });
});
