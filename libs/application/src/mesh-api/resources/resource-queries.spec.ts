import { ValidationError } from '@meshtls/domain';
import { parsePageRequest } from './resource-queries';

describe('parsePageRequest', () => {
  it('defaults to the first 100', () => {
    expect(parsePageRequest({})).toEqual({ offset: 0, size: 100 });
  });

  it('reads offset and size', () => {
    expect(parsePageRequest({ offset: '200', size: '50' })).toEqual({ offset: 200, size: 50 });
  });

  it.each([
    [{ size: '0' }, 'size'],
    [{ size: '1001' }, 'size'],
    [{ size: 'ten' }, 'size'],
    [{ offset: '-1' }, 'offset'],
    [{ offset: ['1', '2'] }, 'offset'],
  ])('rejects %j on field %s', (query, field) => {
    let error: unknown;
    try {
      parsePageRequest(query);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations.map((v) => v.field)).toEqual([field]);
  });
});
