import { ValidationError } from '@meshtls/domain';
import { parseDataplaneTokenRequest, parseGoDuration } from './dataplane-token-request.parser';

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

  it("reads kumactl's body: empty name, type and workload mean unbound, tags are lists", () => {
    // What `kumactl generate dataplane-token --valid-for 24h --tag kuma.io/service=web,api` sends.
    expect(
      parseDataplaneTokenRequest({
        name: '',
        mesh: 'default',
        tags: { 'kuma.io/service': ['web', 'api'] },
        type: '',
        workload: '',
        validFor: '24h0m0s',
      }),
    ).toEqual({ mesh: 'default', tags: { 'kuma.io/service': ['api', 'web'] }, validForMs: 86_400_000 });
    expect(
      parseDataplaneTokenRequest({
        name: 'dp-1',
        mesh: 'default',
        tags: {},
        type: 'dataplane',
        workload: 'backend',
        validFor: '',
      }),
    ).toEqual({ mesh: 'default', name: 'dp-1', type: 'dataplane', workload: 'backend' });
  });

  it('reads single-string tags, drops repeated values and sorts them', () => {
    expect(
      parseDataplaneTokenRequest({
        mesh: 'm',
        tags: { 'kuma.io/service': ['web', 'web'], version: 'v1', zone: ['b', 'a'] },
      }).tags,
    ).toEqual({ 'kuma.io/service': ['web'], version: ['v1'], zone: ['a', 'b'] });
  });

  it.each([
    ['24h0m0s', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['2h45m0.5s', 9_900_500],
    ['30d', 30 * 86_400_000],
    ['1y', 365 * 86_400_000],
  ])("takes kumactl's Go duration %s (and our d, w, y)", (validFor, ms) => {
    expect(parseDataplaneTokenRequest({ mesh: 'm', validFor }).validForMs).toBe(ms);
  });

  it.each(['', '5', 'h', '1h 30m', '1.h.', '1x', 'soon', '1h-30m'])('reads %j as no Go duration', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it('names every bad field', () => {
    expect(violations({})).toEqual([{ field: 'mesh', message: 'cannot be empty' }]);
    expect(violations(undefined).map((v) => v.field)).toEqual(['mesh']);
    expect(violations({ mesh: 'default', name: 'Dp_1' }).map((v) => v.field)).toEqual(['name']);
    expect(violations({ mesh: 'default', validFor: 'soon' })).toEqual([
      { field: 'validFor', message: 'must be a valid duration, e.g. 24h, 1h30m, 30d or 1y' },
    ]);
    expect(violations({ mesh: 'default', validFor: '0s' })).toEqual([
      { field: 'validFor', message: 'must be positive' },
    ]);
    expect(violations({ mesh: 'default', validFor: '-1h' })).toEqual([
      { field: 'validFor', message: 'must be positive' },
    ]);
    expect(violations({ mesh: 'default', validFor: '1ns' })).toEqual([
      { field: 'validFor', message: 'must be a whole number of milliseconds' },
    ]);
    expect(violations({ mesh: 'default', validFor: '87601h' })).toEqual([
      { field: 'validFor', message: 'cannot be longer than 10y' },
    ]);
    expect(violations({ mesh: 'default', validFor: 3600 })).toEqual([
      { field: 'validFor', message: 'must be a string' },
    ]);
  });

  it('names the tag at fault', () => {
    expect(
      violations({ mesh: 'm', tags: { 'kuma.io/service': ['a', ''], zone: [], x: 1, y: '', z: [1] } }),
    ).toEqual([
      { field: 'tags["x"]', message: 'must be a list of strings' },
      { field: 'tags["z"]', message: 'must be a list of strings' },
      { field: 'tags["kuma.io/service"]', message: 'tag value cannot be empty' },
      { field: 'tags["y"]', message: 'tag value cannot be empty' },
      { field: 'tags["zone"]', message: 'must have a value' },
    ]);
    expect(violations({ mesh: 'm', tags: ['web'] })).toEqual([
      { field: 'tags', message: 'must be an object' },
    ]);
  });

  it("names Kuma's other proxy types as unsupported, and a type Kuma does not know as invalid", () => {
    expect(violations({ mesh: 'm', type: 'ingress' })).toEqual([
      {
        field: 'type',
        message:
          'only "dataplane" tokens are supported: zone ingress and egress authenticate with zone tokens',
      },
    ]);
    expect(violations({ mesh: 'm', type: 'egress' }).map((v) => v.field)).toEqual(['type']);
    expect(violations({ mesh: 'm', type: 'sidecar' })).toEqual([
      { field: 'type', message: 'is not a valid proxy type' },
    ]);
  });

  it('refuses a workload that cannot be a label value', () => {
    expect(violations({ mesh: 'm', workload: 'back end' }).map((v) => v.field)).toEqual(['workload']);
    expect(violations({ mesh: 'm', workload: 'x'.repeat(64) }).map((v) => v.field)).toEqual(['workload']);
    expect(violations({ mesh: 'm', workload: 7 })).toEqual([
      { field: 'workload', message: 'must be a string' },
    ]);
  });

  it('refuses unknown fields (a misspelt validFor must not give a ten-year token)', () => {
    expect(violations({ mesh: 'm', name: 'n', validfor: '1h' })).toEqual([
      { field: 'validfor', message: 'unknown field' },
    ]);
    expect(violations(['x'])).toEqual([
      { field: '', message: 'must be an object' },
      { field: 'mesh', message: 'cannot be empty' },
    ]);
  });
});
