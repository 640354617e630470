import { parseResource } from '../universal/parse-resource';
import { violationsOf } from '../test-support/violations-of';
import { secretBytes } from './secret.validator';

describe('Secret and GlobalSecret validation', () => {
  it('accepts a Secret in a mesh and keeps data as written', () => {
    expect(parseResource({ type: 'Secret', mesh: 'default', name: 'my-cert', data: 'aGVsbG8=' })).toEqual({
      warnings: [],
      key: { type: 'Secret', mesh: 'default', name: 'my-cert' },
      spec: { data: 'aGVsbG8=' },
    });
  });

  it('accepts a GlobalSecret without a mesh', () => {
    expect(parseResource({ type: 'GlobalSecret', name: 'admin-token', data: 'aGVsbG8=' })).toEqual({
      warnings: [],
      key: { type: 'GlobalSecret', name: 'admin-token' },
      spec: { data: 'aGVsbG8=' },
    });
  });

  it('accepts the builtin CA secret names', () => {
    expect(() =>
      parseResource({ type: 'Secret', mesh: 'default', name: 'default.ca-builtin-cert-ca-1', data: 'YQ==' }),
    ).not.toThrow();
  });

  it.each([
    [undefined, 'cannot be empty'],
    ['', 'cannot be empty'],
    ['not base64!', 'must be a valid base64 string'],
    [42, 'must be a string'],
  ])('refuses data %j', (data, message) => {
    expect(violationsOf({ type: 'Secret', mesh: 'default', name: 's', data })).toEqual([
      { field: 'data', message },
    ]);
    expect(violationsOf({ type: 'GlobalSecret', name: 's', data })).toEqual([{ field: 'data', message }]);
  });

  it('requires a mesh for a Secret and refuses one for a GlobalSecret', () => {
    expect(violationsOf({ type: 'Secret', name: 's', data: 'YQ==' })).toEqual([
      { field: 'mesh', message: 'cannot be empty' },
    ]);
    expect(violationsOf({ type: 'GlobalSecret', mesh: 'default', name: 's', data: 'YQ==' })).toEqual([
      { field: 'mesh', message: 'must not be set' },
    ]);
  });

  it('reports unknown fields, such as a misspelt data', () => {
    expect(violationsOf({ type: 'Secret', mesh: 'default', name: 's', date: 'YQ==' })).toEqual([
      { field: 'date', message: 'unknown field' },
      { field: 'data', message: 'cannot be empty' },
    ]);
  });

  it('decodes the bytes', () => {
    expect(secretBytes({ data: 'aGVsbG8=' }).toString('utf8')).toBe('hello');
  });
});
