import { timingSafeEqual, createHash } from 'node:crypto';
import type { ResourceDescriptor } from '@meshtls/domain';
import { ApiError } from '@meshtls/nest-core';

export type Principal = { readonly kind: 'admin' } | { readonly kind: 'anonymous' };

export interface AccessSettings {
  readonly mode: 'standalone' | 'distributed';
  readonly adminToken?: string;
}

export interface RequestCredentials {
  /** The peer address of the TCP connection (never a forwarded header, which anyone can set). */
  readonly remoteAddress: string | undefined;
  readonly authorization: string | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Who is calling. A bearer token must be the admin token (401 otherwise, as a wrong token is no identity).
 * Without a token: in standalone mode a caller on this host is admin, as in Kuma; anyone else is anonymous.
 */
export function authenticate(settings: AccessSettings, credentials: RequestCredentials): Principal {
  const header = credentials.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([^\s]+)$/.exec(header);
    if (!match) throw unauthenticated('the Authorization header must be "Bearer <token>"');
    if (!settings.adminToken || !sameSecret(match[1], settings.adminToken)) {
      throw unauthenticated('the token is not valid');
    }
    return { kind: 'admin' };
  }
  if (settings.mode === 'standalone' && LOOPBACK.has(credentials.remoteAddress ?? ''))
    return { kind: 'admin' };
  return { kind: 'anonymous' };
}

/** Reads are open except secrets; every change needs the admin (403 for anyone else). */
export function authorize(
  principal: Principal,
  method: string,
  descriptor: ResourceDescriptor | undefined,
): void {
  if (principal.kind === 'admin') return;
  const mutating = method !== 'GET' && method !== 'HEAD';
  if (mutating) throw forbidden(`${method} requires the admin token (Authorization: Bearer <token>)`);
  if (descriptor?.adminOnlyRead) {
    throw forbidden(
      `reading ${descriptor.collection} requires the admin token (Authorization: Bearer <token>)`,
    );
  }
}

function sameSecret(given: string, expected: string): boolean {
  // Compare digests so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function unauthenticated(detail: string): ApiError {
  return new ApiError(401, 'Unauthenticated', detail, [], { 'www-authenticate': 'Bearer' });
}

function forbidden(detail: string): ApiError {
  return new ApiError(403, 'Access Denied', detail);
}
