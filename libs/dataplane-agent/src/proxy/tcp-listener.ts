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
 * as HTTP/1.0 does, loses nothing), and destroyed if its peer never closes. A connection opened with a
 * `DirectReads` as its `onread` is read through it (`reads.a`, `reads.b`), the others are piped.
 */
export function splice(a: Socket, b: Socket, reads: { a?: DirectReads; b?: DirectReads } = {}): void {
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
  if (reads.a) reads.a.forward(a, b);
  else a.pipe(b);
  if (reads.b) reads.b.forward(b, a);
  else b.pipe(a);
}

/** How long a connection whose partner closed may take to finish closing. */
const LINGER_MS = 10_000;

/**
 * The reads of one connection, without the stream machinery: given as the connection's `onread` option
 * (`net.connect`, `tls.connect`), each read lands in one buffer shared by every such connection (none
 * allocated per read) and is copied straight to the connection it is spliced to: no 'data' event, no
 * tick per read. What arrives before `forward` is held, and reading paused, until then; a write the
 * other side cannot take now pauses reading until it drains, as `pipe` does.
 */
export class DirectReads {
  private from?: Socket;
  private to?: Socket;
  private held: Buffer[] = [];
  private draining = false;

  /** The `onread` option of the connection. */
  readonly onread = {
    buffer: SHARED_READ_BUFFER,
    callback: (length: number, buffer: Buffer): boolean => {
      // The shared buffer is overwritten by the next read of any connection: copied out now.
      const chunk = Buffer.allocUnsafe(length);
      buffer.copy(chunk, 0, 0, length);
      const to = this.to;
      if (!to) {
        this.held.push(chunk); // reading stays paused until `forward`
        return false;
      }
      if (to.destroyed || to.writableEnded) return true; // as pipe, nothing more goes to a closed side
      if (to.write(chunk) || this.draining) return !this.draining;
      this.draining = true;
      to.once('drain', () => {
        this.draining = false;
        this.from?.resume();
      });
      return false;
    },
  };

  /**
   * From now on every read of `from` (the connection opened with this `onread`) goes to `to`, those
   * held first; the end of `from` ends `to`, as `pipe` does.
   */
  forward(from: Socket, to: Socket): void {
    this.from = from;
    this.to = to;
    from.once('end', () => to.end());
    const held = this.held;
    if (held.length === 0) return;
    this.held = [];
    let drained = true;
    for (const chunk of held) drained = to.write(chunk);
    if (drained) from.resume();
    else to.once('drain', () => from.resume());
  }
}

/**
 * Where every `DirectReads` connection reads into: each read is copied out before the callback
 * returns, and reads run one at a time on the event loop, so one buffer serves all.
 */
const SHARED_READ_BUFFER = Buffer.alloc(64 * 1024);
