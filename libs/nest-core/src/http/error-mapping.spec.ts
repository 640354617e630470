import { StoreFullError } from '@meshtls/store/adapters';
import { TimeoutError } from '@meshtls/util';
import { toApiError } from './error-mapping';

describe('toApiError', () => {
  it('answers a write the store has no space for with 503, without naming the store file', () => {
    const error = toApiError(
      new StoreFullError('the embedded store /var/lib/meshtls/resources.db is full'),
      'PUT',
    );
    expect(error).toMatchObject({
      status: 503,
      title: 'Service Unavailable',
      detail: 'the resource store is full (no space left on its disk): nothing was written',
      headers: { 'retry-after': '30' },
    });
    expect(error.detail).not.toContain('/var/lib');
  });

  it('keeps a timeout a 503 and anything unknown a 500 that reveals nothing', () => {
    expect(toApiError(new TimeoutError('no reply'), 'GET').status).toBe(503);
    const unknown = toApiError(new Error('SQLITE_CORRUPT at /secret/path'), 'PUT');
    expect(unknown).toMatchObject({ status: 500, detail: 'internal error; see the control plane logs' });
  });
});
