import { timingSafeEqual, createHash } from 'node:crypto';
import type { ResourceDescriptor } from '@meshtls/domain';
import { ApiError } from '@meshtls/nest-core';
import type { FastifyRequest } from 'fastify';

export type Principal = { readonly kind: 'admin' } | { readonly kind: 'anonymous' };

export interface AccessSettings {
  readonly mode: 'standalone' | 'distributed';
  readonly adminToken?: string;
}

export interface RequestCredentials {
  /** The peer address of the TCP connection (never a forwarded header, which anyone can set). */
  readonly remoteAddress: string | undefined;
  readonly authorization: string | undefined;
  /** The Host header: the name the client (a browser, too) believes it is talking to. */
  readonly host: string | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** `127.0.0.0/8` in dotted decimal, each part 0-255 without leading zeros. */
const LOOPBACK_IPV4 = /^127(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Whether a Host header names this host by a loopback name or address: `localhost`, `127.0.0.0/8`,
 * `[::1]` (or `::1`), each with an optional port. Any other name, even one that resolves to 127.0.0.1,
 * is not: a browser tricked by DNS rebinding sends the attacker's name.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const value = host.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) return bracketed[1] === '::1';
  if (value === '::1') return true;
  const match = /^([^:]+)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return false;
  return match[1] === 'localhost' || LOOPBACK_IPV4.test(match[1]!);
}

/**
 * Who is calling. A bearer token must be the admin token (401 otherwise, as a wrong token is no identity).
 * Without a token: in standalone mode a caller on this host is admin, as in Kuma, when it also calls this
 * host by a loopback name (Host header; see isLoopbackHost); anyone else is anonymous. The Host check keeps
 * a web page whose name was rebound to 127.0.0.1 from acting as the admin through the user's browser.
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
  if (
    settings.mode === 'standalone' &&
    LOOPBACK.has(credentials.remoteAddress ?? '') &&
    isLoopbackHost(credentials.host)
  )
    return { kind: 'admin' };
  return { kind: 'anonymous' };
}

/** What a Fastify request presents: the TCP peer (never a forwarded header), Authorization and Host. */
export function credentialsOf(request: FastifyRequest): RequestCredentials {
  return {
    remoteAddress: request.socket.remoteAddress,
    authorization: request.headers.authorization,
    host: request.headers.host,
  };
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
