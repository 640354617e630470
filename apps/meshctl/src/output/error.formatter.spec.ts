import { ConfigError } from '@meshtls/util';
import { toApiError } from '../api-client';
import { ApiError, ApplyError, ConnectionError, DocumentError } from '../cli-errors';
import { formatError } from './error.formatter';

describe('formatError', () => {
  it('prints the API validation error with one line per field', () => {
    const err = toApiError(
      { status: 400, statusText: 'Bad Request' },
      {
        type: '/std-errors',
        status: 400,
        title: 'Failed to create a resource',
        detail: 'Resource is not valid',
        invalid_parameters: [
          { field: 'mtls.enabledBackend', reason: 'has to be set to one of the backends in the mesh' },
        ],
        details: 'Resource is not valid',
        causes: [
          { field: 'mtls.enabledBackend', message: 'has to be set to one of the backends in the mesh' },
          { field: 'mtls.backends[0].name', message: 'cannot be empty' },
        ],
      },
    );
    expect(formatError(err)).toBe(
      'Error: Resource is not valid\n' +
        '  * mtls.enabledBackend: has to be set to one of the backends in the mesh\n' +
        '  * mtls.backends[0].name: cannot be empty\n',
    );
  });

  it('says something useful for a non-JSON error body', () => {
    const err = toApiError(
      { status: 502, statusText: 'Bad Gateway' },
      undefined,
      '<html>upstream down</html>',
    );
    expect(formatError(err)).toBe('Error: HTTP 502 Bad Gateway: <html>upstream down</html>\n');
  });

  it('adds a hint about the token on 401', () => {
    const out = formatError(new ApiError(401, 'missing or invalid token'));
    expect(out).toMatch(/^Error: missing or invalid token\nHint: .*--token/);
  });

  it('prints a connection failure without a stack', () => {
    const out = formatError(new ConnectionError('http://127.0.0.1:1', 'connection refused'));
    expect(out).toBe('Error: cannot reach the control plane at http://127.0.0.1:1: connection refused\n');
  });

  it('lists every bad document and says nothing was sent', () => {
    const out = formatError(new DocumentError(['a.yaml: missing "type"', 'b.yaml: Mesh without "name"']));
    expect(out).toBe(
      'Error: 2 documents are not valid; nothing was sent\n  * a.yaml: missing "type"\n  * b.yaml: Mesh without "name"\n',
    );
  });

  it('follows an apply failure with what was applied before it', () => {
    const cause = new ApiError(409, 'conflict');
    const out = formatError(new ApplyError('m.yaml (document 2) (Mesh "b")', ['Mesh "a"'], 1, { cause }));
    expect(out).toBe(
      'Error: conflict\nFailed on m.yaml (document 2) (Mesh "b")\nApplied before the failure: Mesh "a"\n' +
        'Not attempted: 1 more document(s)\n',
    );
  });

  it('shows a stack only for unexpected errors and only in debug', () => {
    expect(formatError(new ConfigError('bad'), true)).toBe('Error: bad\n');
    expect(formatError(new TypeError('boom'))).toBe('Error: boom\n');
    expect(formatError(new TypeError('boom'), true)).toContain('at ');
  });
});
