import { ValidationError } from '@meshtls/domain';
import { parseDataplaneTokenRequest } from './dataplane-token-request.parser';

function violations(body: unknown): { field: string; message: string }[] {
  try {
    parseDataplaneTokenRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe('Token request is not valid');
    return [...(error as ValidationError).violations];
  }
  throw new Error('expected violations');
}

describe('parseDataplaneTokenRequest', () => {
  it('reads a minimal request', () => {
    expect(parseDataplaneTokenRequest({ mesh: 'default', name: 'dp-1' })).toEqual({
      mesh: 'default',
      name: 'dp-1',
    });
  });

  it("reads Kuma's multi-valued tags and single strings alike, and durations", () => {
    expect(
      parseDataplaneTokenRequest({
        mesh: 'default',
        name: 'dp-1',
        type: 'dataplane',
        tags: { 'kuma.io/service': ['web', 'web'], version: 'v1' },
        validFor: '24h',
      }),
    ).toEqual({
      mesh: 'default',
      name: 'dp-1',
      tags: { 'kuma.io/service': 'web', version: 'v1' },
      validForMs: 86_400_000,
    });
  });

  it("takes kumactl's Go durations, and an empty validFor as the default", () => {
    expect(parseDataplaneTokenRequest({ mesh: 'm', name: 'n', validFor: '24h0m0s' }).validForMs).toBe(
      86_400_000,
    );
    expect(parseDataplaneTokenRequest({ mesh: 'm', name: 'n', validFor: '1h30m' }).validForMs).toBe(
      5_400_000,
    );
    expect(parseDataplaneTokenRequest({ mesh: 'm', name: 'n', validFor: '' })).toEqual({
      mesh: 'm',
      name: 'n',
    });
  });

  it('names every bad field', () => {
    expect(violations({})).toEqual([
      { field: 'mesh', message: 'cannot be empty' },
      { field: 'name', message: 'cannot be empty' },
    ]);
    expect(violations(undefined).map((v) => v.field)).toEqual(['mesh', 'name']);
    expect(violations({ mesh: 'default', name: 'dp-1', validFor: 'soon' })).toEqual([
      { field: 'validFor', message: 'must be a valid duration, e.g. 24h, 30d or 1y' },
    ]);
    expect(violations({ mesh: 'default', name: 'dp-1', validFor: '0s' })).toEqual([
      { field: 'validFor', message: 'must be positive' },
    ]);
    expect(violations({ mesh: 'default', name: 'dp-1', validFor: '11y' })).toEqual([
      { field: 'validFor', message: 'cannot be longer than 10y' },
    ]);
    expect(violations({ mesh: 'default', name: 'dp-1', validFor: 3600 })).toEqual([
      { field: 'validFor', message: 'must be a string' },
    ]);
  });

  it('names the tag at fault', () => {
    expect(
      violations({ mesh: 'm', name: 'n', tags: { 'kuma.io/service': ['a', 'b'], zone: [], x: 1, y: '' } }),
    ).toEqual([
      { field: 'tags["kuma.io/service"]', message: 'only one value per tag is supported' },
      { field: 'tags["x"]', message: 'must be a string or an array of one string' },
      { field: 'tags["zone"]', message: 'must have a value' },
      { field: 'tags["y"]', message: 'tag value cannot be empty' },
    ]);
    expect(violations({ mesh: 'm', name: 'n', tags: ['web'] })).toEqual([
      { field: 'tags', message: 'must be an object' },
    ]);
  });

  it('refuses unknown fields (a misspelt validFor must not give a year-long token) and other token types', () => {
    expect(violations({ mesh: 'm', name: 'n', validfor: '1h', type: 'ingress' })).toEqual([
      { field: 'validfor', message: 'unknown field' },
      { field: 'type', message: 'only "dataplane" tokens are supported' },
    ]);
    expect(violations(['x'])).toEqual([
      { field: '', message: 'must be an object' },
      { field: 'mesh', message: 'cannot be empty' },
      { field: 'name', message: 'cannot be empty' },
    ]);
  });
});
