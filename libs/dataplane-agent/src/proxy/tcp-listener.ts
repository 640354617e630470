import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP listener that knows its open connections, so closing it ends them too (a listener's
 * `close()` alone waits for every client to leave).
 */
export class TcpListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(onConnection: (socket: Socket) => void) {
    // No Nagle: a proxy forwards small writes (handshakes, requests) at once; batching them costs RTTs.
    this.server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      onConnection(socket);
    });
  }

  /** Resolves the port actually bound (for port 0). */
  listen(port: number, address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => {
        const bound = this.server.address();
        resolve(typeof bound === 'object' && bound ? bound.port : port);
      });
    });
  }

  /** Stops listening and ends every connection. */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }
}

/**
 * Joins two connections both ways. When one fails, the other is destroyed; when one closes cleanly, the
 * other is ended after what was piped to it is flushed (an application closing right after its answer,
 * as HTTP/1.0 does, loses nothing), and destroyed if its peer never closes.
 */
export function splice(a: Socket, b: Socket): void {
  const follow = (from: Socket, to: Socket) => {
    from.on('error', () => to.destroy());
    from.on('close', (hadError: boolean) => {
      if (hadError || to.destroyed) return void to.destroy();
      to.end();
      setTimeout(() => to.destroy(), LINGER_MS).unref();
    });
  };
  follow(a, b);
  follow(b, a);
  a.setNoDelay(true);
  b.setNoDelay(true);
  a.pipe(b).pipe(a);
}

/** How long a connection whose partner closed may take to finish closing. */
const LINGER_MS = 10_000;
