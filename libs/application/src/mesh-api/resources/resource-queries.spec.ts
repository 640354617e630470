import { ValidationError } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { ResourceQueries, parsePageRequest } from './resource-queries';

function refusal(query: { offset?: unknown; size?: unknown }): ValidationError {
  try {
    parsePageRequest(query);
  } catch (thrown) {
    if (thrown instanceof ValidationError) return thrown;
    throw thrown;
  }
  throw new Error(`${JSON.stringify(query)} was accepted`);
}

describe('parsePageRequest', () => {
  it('defaults to the first 100', () => {
    expect(parsePageRequest({})).toEqual({ offset: 0, size: 100 });
  });

  it('reads offset and size as Go integers, the first of repeated ones', () => {
    expect(parsePageRequest({ offset: '200', size: '50' })).toEqual({ offset: 200, size: 50 });
    expect(parsePageRequest({ offset: '+3', size: '1000' })).toEqual({ offset: 3, size: 1000 });
    expect(parsePageRequest({ offset: ['1', '2'], size: ['5', 'x'] })).toEqual({ offset: 1, size: 5 });
  });

  it.each([
    [{ size: 'ten' }, 'invalid format'],
    [{ size: '1.5' }, 'invalid format'],
    [{ size: '99999999999999999999' }, 'invalid format'],
    [{ size: '0' }, 'must be greater than 0'],
    [{ size: '-4' }, 'must be greater than 0'],
    [{ size: '1001' }, 'invalid page size of 1001. Maximum page size is 1000'],
  ])('refuses the size %j as Kuma does: %s', (query, reason) => {
    const error = refusal(query);
    expect(error.message).toBe('Invalid page size');
    expect(error.violations).toEqual([{ field: 'size', message: reason }]);
  });

  it.each([
    [{ offset: 'abc' }, 'invalid: invalid offset: strconv.Atoi: parsing "abc": invalid syntax'],
    [
      { offset: '99999999999999999999' },
      'invalid: invalid offset: strconv.Atoi: parsing "99999999999999999999": value out of range',
    ],
    [{ offset: '-1' }, 'invalid: invalid offset: must be non-negative'],
  ])('refuses the offset %j with the store’s words: %s', (query, detail) => {
    const error = refusal(query);
    expect(error.message).toBe(detail);
    expect(error.violations).toEqual([]);
  });
});

describe('ResourceQueries.list with a name filter (Kuma’s ?name=)', () => {
  it('counts and pages only the resources whose name contains the text', async () => {
    const store = new MemoryResourceStore(new FakeClock());
    for (const name of ['web-1', 'web-2', 'db-1', 'Web-3', 'web-4'])
      await store.create({ type: 'Mesh', name }, {});
    const queries = new ResourceQueries(store);
    const page = parsePageRequest({ name: 'web', size: '2', offset: '1' });
    const result = await queries.list('Mesh', undefined, page);
    expect(result.total).toBe(3);
    expect(result.items.map((r) => r.meta.name)).toEqual(['web-2', 'web-4']);
    expect((await queries.list('Mesh', undefined, parsePageRequest({}))).total).toBe(5);
  });
});
