import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP listener that knows its open connections, so closing it ends them too (a listener's
 * `close()` alone waits for every client to leave).
 */
export class TcpListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(onConnection: (socket: Socket) => void) {
    this.server = createServer((socket) => {
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

/** Joins two connections both ways; when either ends or fails, both go. */
export function splice(a: Socket, b: Socket): void {
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
  a.pipe(b).pipe(a);
}
