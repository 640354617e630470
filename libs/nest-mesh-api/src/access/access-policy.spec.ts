import { RESOURCE_DESCRIPTORS } from '@meshtls/domain';
import { ApiError } from '@meshtls/nest-core';
import { authenticate, authorize, type AccessSettings } from './access-policy';

const TOKEN = 'admin-token-0123456789';
const standalone: AccessSettings = { mode: 'standalone', adminToken: TOKEN };
const distributed: AccessSettings = { mode: 'distributed', adminToken: TOKEN };

/** What `fn` threw, or undefined when it returned. */
function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

function statusOf(fn: () => unknown): number | undefined {
  return (errorOf(fn) as ApiError | undefined)?.status;
}

describe('authenticate', () => {
  it('treats a caller on this host as admin in standalone mode, as Kuma does', () => {
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(authenticate(standalone, { remoteAddress, authorization: undefined })).toEqual({
        kind: 'admin',
      });
    }
  });

  it('never treats a local caller as admin without a token in distributed mode', () => {
    expect(authenticate(distributed, { remoteAddress: '127.0.0.1', authorization: undefined })).toEqual({
      kind: 'anonymous',
    });
  });

  it('treats a remote caller without a token as anonymous', () => {
    expect(authenticate(standalone, { remoteAddress: '10.0.0.7', authorization: undefined }).kind).toBe(
      'anonymous',
    );
  });

  it('accepts the admin token', () => {
    expect(
      authenticate(distributed, { remoteAddress: '10.0.0.7', authorization: `Bearer ${TOKEN}` }).kind,
    ).toBe('admin');
  });

  it('answers 401 for a wrong token, a malformed header, or a token when none is configured', () => {
    expect(
      statusOf(() => authenticate(distributed, { remoteAddress: '1.2.3.4', authorization: 'Bearer nope' })),
    ).toBe(401);
    expect(
      statusOf(() => authenticate(distributed, { remoteAddress: '1.2.3.4', authorization: TOKEN })),
    ).toBe(401);
    expect(
      statusOf(() =>
        authenticate({ mode: 'standalone' }, { remoteAddress: '::1', authorization: `Bearer ${TOKEN}` }),
      ),
    ).toBe(401);
  });

  it('does not echo the presented token in the error', () => {
    const error = errorOf(() =>
      authenticate(distributed, { remoteAddress: '1.2.3.4', authorization: 'Bearer s3cr3t-guess' }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(JSON.stringify(error)).not.toContain('s3cr3t-guess');
    expect((error as Error).message).not.toContain('s3cr3t-guess');
  });
});

describe('authorize', () => {
  const anonymous = { kind: 'anonymous' } as const;

  it('lets anyone read non-secret resources', () => {
    expect(() => authorize(anonymous, 'GET', RESOURCE_DESCRIPTORS.Mesh)).not.toThrow();
    expect(() => authorize(anonymous, 'GET', RESOURCE_DESCRIPTORS.Dataplane)).not.toThrow();
  });

  it('refuses secret reads and every change to anyone but the admin (403)', () => {
    expect(statusOf(() => authorize(anonymous, 'GET', RESOURCE_DESCRIPTORS.Secret))).toBe(403);
    expect(statusOf(() => authorize(anonymous, 'GET', RESOURCE_DESCRIPTORS.GlobalSecret))).toBe(403);
    expect(statusOf(() => authorize(anonymous, 'PUT', RESOURCE_DESCRIPTORS.Mesh))).toBe(403);
    expect(statusOf(() => authorize(anonymous, 'DELETE', RESOURCE_DESCRIPTORS.Dataplane))).toBe(403);
    expect(() => authorize({ kind: 'admin' }, 'GET', RESOURCE_DESCRIPTORS.Secret)).not.toThrow();
    expect(() => authorize({ kind: 'admin' }, 'DELETE', RESOURCE_DESCRIPTORS.Mesh)).not.toThrow();
  });
});
