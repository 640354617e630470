import { UsageError } from '../cli-errors';
import { dataplaneFilterQuery } from './inspect.command';

describe('inspect dataplanes filters', () => {
  it('asks as kumactl does: tag=key:value per tag, comma lists split, gateway=true', () => {
    expect(dataplaneFilterQuery(['kuma.io/service=web,version=v1', 'team=a=b'], true)).toBe(
      'gateway=true&tag=kuma.io%2Fservice%3Aweb&tag=version%3Av1&tag=team%3Aa%3Db',
    );
    expect(dataplaneFilterQuery([], false)).toBe('');
  });

  it('refuses a tag without a key or a value separator', () => {
    expect(() => dataplaneFilterQuery(['web'], false)).toThrow(UsageError);
    expect(() => dataplaneFilterQuery(['=web'], false)).toThrow(/invalid --tag "=web"/);
  });
});
