import type { AddressInfo } from 'node:net';

/**
 * The URL of the address a server is bound to, as the socket reports it: `0.0.0.0` stays `0.0.0.0` (it
 * listens on every interface, which an operator must be able to see), IPv6 addresses are bracketed.
 */
export function listeningUrl(bound: AddressInfo | string | null): string {
  if (bound === null || typeof bound === 'string') {
    throw new Error(`the HTTP server is not bound to a TCP address (${String(bound)})`);
  }
  const host = bound.family === 'IPv6' || bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  return `http://${host}:${bound.port}`;
}
