/** The upstream of the proxy benchmark: a Node HTTP server answering every request 200 with 64 bytes. */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** `ok`, padded to 64 bytes: small enough that the proxies, not the payload, dominate. */
const BODY = Buffer.from('ok'.padEnd(63, ' ') + '\n', 'latin1');

export interface HttpTarget {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the target on 127.0.0.1 on a port the OS picks. Keep-alive stays on for 65 s, longer than any
 * run, so a keep-alive run measures one connection per client and never a reconnect by the target.
 */
export async function startHttpTarget(): Promise<HttpTarget> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume(); // drain any body so the connection can carry the next request
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
    res.end(BODY);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000; // must exceed keepAliveTimeout, or idle sockets die on the headers timer
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // keep-alive sockets would otherwise hold close() for 65 s
      }),
  };
}
