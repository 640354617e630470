import { decodeStoredValue, encodeStoredValue, type StoredValue } from './kv-value.codec';

const value: StoredValue = {
  format: 1,
  spec: { mtls: { enabledBackend: 'ca-1' } },
  creationTime: '2026-06-01T00:00:00.000Z',
  modificationTime: '2026-06-01T00:00:01.000Z',
  writeId: 'w-1',
};
const bytes = (text: string) => new TextEncoder().encode(text);

describe('decodeStoredValue', () => {
  it('gives back what encodeStoredValue wrote', () => {
    expect(decodeStoredValue(encodeStoredValue(value), 'Mesh')).toEqual({ ok: true, value });
    const { writeId: _older, ...withoutWriteId } = value;
    expect(decodeStoredValue(bytes(JSON.stringify(withoutWriteId)), 'Mesh')).toEqual({
      ok: true,
      value: withoutWriteId,
    });
  });

  it.each([
    ['not JSON', bytes('not-json{'), 'value is not JSON'],
    ['not UTF-8', new Uint8Array([0xff, 0xfe]), 'value is not JSON'],
    ['empty', bytes(''), 'value is not JSON'],
    ['an array', bytes('[]'), 'value is not a stored resource (wrong or missing (value))'],
    [
      'without its envelope',
      bytes('{"spec":{}}'),
      'value is not a stored resource (wrong or missing format, creationTime, modificationTime)',
    ],
    [
      'without a spec',
      bytes(JSON.stringify({ ...value, spec: undefined })),
      'value is not a stored resource (wrong or missing spec)',
    ],
    [
      'of another format',
      bytes(JSON.stringify({ ...value, format: 2, creationTime: 'yesterday' })),
      'value is not a stored resource (wrong or missing format, creationTime)',
    ],
  ])('refuses a value %s, saying why without quoting it', (_what, data, reason) => {
    expect(decodeStoredValue(data, 'Mesh')).toEqual({ ok: false, reason });
  });

  it('checks the spec by its type when given a check, naming the fields', () => {
    const seen: unknown[] = [];
    const check = (type: string, spec: unknown) => {
      seen.push([type, spec]);
      return [
        { field: 'networking', message: 'must be an object' },
        { field: 'networking', message: 'again' },
      ];
    };
    expect(decodeStoredValue(encodeStoredValue(value), 'Dataplane', check)).toEqual({
      ok: false,
      reason: 'spec does not validate at networking',
    });
    expect(seen).toEqual([['Dataplane', value.spec]]);
    expect(decodeStoredValue(encodeStoredValue(value), 'Mesh', () => [])).toEqual({ ok: true, value });
  });
});
