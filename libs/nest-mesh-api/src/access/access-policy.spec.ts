import { RESOURCE_DESCRIPTORS } from '@meshtls/domain';
import { ApiError } from '@meshtls/nest-core';
import { authenticate, authorize, isLoopbackHost, type AccessSettings } from './access-policy';

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

/** A request from `remoteAddress` with `authorization`, to Host `host`. */
const caller = (remoteAddress: string, authorization?: string, host = 'localhost:5681') => ({
  remoteAddress,
  authorization,
  host,
});

function statusOf(fn: () => unknown): number | undefined {
  return (errorOf(fn) as ApiError | undefined)?.status;
}

describe('authenticate', () => {
  it('treats a caller on this host as admin in standalone mode, as Kuma does', () => {
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(authenticate(standalone, caller(remoteAddress))).toEqual({
        kind: 'admin',
      });
    }
  });

  it('treats a local caller as admin only when its Host header names a loopback name or address', () => {
    for (const host of [
      'localhost',
      'localhost:5681',
      '127.0.0.1',
      '127.0.0.1:5681',
      '127.1.2.3:80',
      '[::1]:5681',
      '[::1]',
      '::1',
      'LOCALHOST:5681',
    ]) {
      expect({
        host,
        kind: authenticate(standalone, { remoteAddress: '127.0.0.1', authorization: undefined, host }).kind,
      }).toEqual({ host, kind: 'admin' });
    }
  });

  it('treats a local caller with another Host (a browser after DNS rebinding) as anonymous', () => {
    for (const host of [
      'evil.example',
      'evil.example:5681',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      '127.0.0.256',
      '128.0.0.1',
      '0.0.0.0:5681',
      '[::2]:5681',
      '[::1]x',
      'localhost:5681:1',
      '',
      undefined,
    ]) {
      expect({
        host,
        kind: authenticate(standalone, { remoteAddress: '127.0.0.1', authorization: undefined, host }).kind,
      }).toEqual({ host, kind: 'anonymous' });
    }
  });

  it('still gives the admin token holder admin whatever the Host', () => {
    expect(authenticate(standalone, caller('127.0.0.1', `Bearer ${TOKEN}`, 'evil.example')).kind).toBe(
      'admin',
    );
  });

  it('never treats a local caller as admin without a token in distributed mode', () => {
    expect(authenticate(distributed, caller('127.0.0.1'))).toEqual({
      kind: 'anonymous',
    });
  });

  it('treats a remote caller without a token as anonymous', () => {
    expect(authenticate(standalone, caller('10.0.0.7')).kind).toBe('anonymous');
  });

  it('accepts the admin token', () => {
    expect(authenticate(distributed, caller('10.0.0.7', `Bearer ${TOKEN}`)).kind).toBe('admin');
  });

  it('answers 401 for a wrong token, a malformed header, or a token when none is configured', () => {
    expect(statusOf(() => authenticate(distributed, caller('1.2.3.4', 'Bearer nope')))).toBe(401);
    expect(statusOf(() => authenticate(distributed, caller('1.2.3.4', TOKEN)))).toBe(401);
    expect(statusOf(() => authenticate({ mode: 'standalone' }, caller('::1', `Bearer ${TOKEN}`)))).toBe(401);
  });

  it('does not echo the presented token in the error', () => {
    const error = errorOf(() => authenticate(distributed, caller('1.2.3.4', 'Bearer s3cr3t-guess')));
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(JSON.stringify(error)).not.toContain('s3cr3t-guess');
    expect((error as Error).message).not.toContain('s3cr3t-guess');
  });
});

describe('isLoopbackHost', () => {
  it('accepts localhost, 127.0.0.0/8 and ::1 with an optional port, nothing else', () => {
    expect(isLoopbackHost('127.255.255.254:1')).toBe(true);
    expect(isLoopbackHost('127.00.0.1')).toBe(false);
    expect(isLoopbackHost('localhost:')).toBe(false);
    expect(isLoopbackHost('[::ffff:127.0.0.1]:5681')).toBe(false);
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
