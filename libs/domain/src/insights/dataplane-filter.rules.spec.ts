import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { ValidationError } from '../errors';
import { matchesDataplaneFilter, parseDataplaneFilter } from './dataplane-filter.rules';

// Kuma's pkg/api-server dataplanes+insights filters: dp-1 is backend v1 with tagcolumn "tag:v".
const dp1: DataplaneSpec = {
  networking: {
    address: '127.0.0.1',
    inbound: [{ port: 1234, tags: { 'kuma.io/service': 'backend', tagcolumn: 'tag:v', version: 'v1' } }],
  },
};
const matches = (query: { tag?: string | string[]; gateway?: string }) =>
  matchesDataplaneFilter(dp1, parseDataplaneFilter(query));

describe('dataplane filter', () => {
  it.each([
    [{ tag: 'kuma.io/service:backend' }, true],
    [{ tag: 'kuma.io/service:ck' }, true], // a part of the value matches
    [{ tag: ['kuma.io/service:backend', 'version:v1'] }, true],
    [{ tag: ['kuma.io/service:backend', 'version:v2'] }, false],
    [{ tag: 'tagcolumn:tag:v' }, true], // the value keeps its ':'
    [{ tag: 'version:*' }, true],
    [{ tag: 'zone:*' }, false],
    [{ tag: 'no-separator' }, true], // ignored, as Kuma does
    [{ gateway: 'false' }, true],
    [{ gateway: 'TRUE' }, false],
    [{ gateway: 'builtin' }, false],
    [{}, true],
  ])('%j selects dp-1: %s', (query, expected) => {
    expect(matches(query)).toBe(expected);
  });

  it('needs every tag on one inbound', () => {
    const split: DataplaneSpec = {
      networking: {
        address: '1.1.1.1',
        inbound: [
          { port: 1, tags: { 'kuma.io/service': 'a' } },
          { port: 2, tags: { 'kuma.io/service': 'b', version: 'v1' } },
        ],
      },
    };
    expect(
      matchesDataplaneFilter(split, parseDataplaneFilter({ tag: ['kuma.io/service:a', 'version:v1'] })),
    ).toBe(false);
  });

  it('refuses an unknown gateway mode, naming the field', () => {
    expect(() => parseDataplaneFilter({ gateway: 'maybe' })).toThrow(ValidationError);
    try {
      parseDataplaneFilter({ gateway: 'maybe' });
    } catch (error) {
      expect((error as ValidationError).violations).toEqual([
        {
          field: 'gateway',
          message: "shoud use `true`, `false`, 'builtin' or 'delegated' instead of maybe",
        },
      ]);
    }
  });
});
