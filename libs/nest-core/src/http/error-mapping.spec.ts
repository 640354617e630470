import {
  ResourceAlreadyExistsError,
  ResourceConflictError,
  ResourceNotFoundError,
  ValidationError,
} from '@meshtls/domain';
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
      title: 'Service unavailable',
      detail: 'the resource store is full (no space left on its disk): nothing was written',
      headers: { 'retry-after': '30' },
    });
    expect(error.detail).not.toContain('/var/lib');
  });

  it('keeps a timeout a 503 and anything unknown a 500 that reveals nothing, under the step’s title', () => {
    expect(toApiError(new TimeoutError('no reply'), 'GET').status).toBe(503);
    const unknown = toApiError(
      new Error('SQLITE_CORRUPT at /secret/path'),
      'PUT',
      'Failed to update a resource',
    );
    expect(unknown).toMatchObject({
      status: 500,
      title: 'Failed to update a resource',
      detail: 'Internal Server Error',
    });
  });

  it('answers as Kuma: 400 and 404 under the step’s title, 409 as Conflict', () => {
    const key = { type: 'Mesh' as const, name: 'default' };
    expect(toApiError(new ValidationError([{ field: 'name', message: 'x' }]), 'PUT')).toMatchObject({
      status: 400,
      title: 'Could not process a resource',
      detail: 'Resource is not valid',
      causes: [{ field: 'name', message: 'x' }],
    });
    expect(toApiError(new ResourceNotFoundError(key), 'GET', 'Failed to retrieve Mesh')).toMatchObject({
      status: 404,
      title: 'Failed to retrieve Mesh',
      detail: 'Not found',
    });
    expect(toApiError(new ResourceConflictError(key), 'PUT', 'Failed to update a resource')).toMatchObject({
      status: 409,
      title: 'Conflict',
      detail: 'resource conflict: type="Mesh" name="default" mesh=""',
    });
    expect(
      toApiError(new ResourceAlreadyExistsError({ type: 'Secret', mesh: 'm', name: 's' }), 'PUT'),
    ).toMatchObject({
      status: 409,
      title: 'Conflict',
      detail: 'resource already exists: type="Secret" name="s" mesh="m"',
    });
  });
});
