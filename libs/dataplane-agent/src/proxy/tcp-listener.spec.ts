import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { DirectReads, TcpListener, splice } from './tcp-listener';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A server on 127.0.0.1 running `onConnection` for each client; resolves its port. */
async function serve(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * A relay like the sidecar's: each client joined to a new connection to `upstreamPort`, whose reads
 * go through a `DirectReads`; `whenToSplice` delays the join (the upstream may speak first).
 */
async function relay(
  upstreamPort: number,
  whenToSplice: (upstream: Socket) => Promise<void> = async () => {},
) {
  const listener = new TcpListener((client) => {
    client.pause();
    const reads = new DirectReads();
    const upstream = netConnect({ port: upstreamPort, host: '127.0.0.1', onread: reads.onread });
    upstream.once(
      'connect',
      () =>
        void whenToSplice(upstream).then(() => {
          splice(client, upstream, { b: reads });
          client.resume();
        }),
    );
  });
  return { listener, port: await listener.listen(0, '127.0.0.1') };
}

/**
 * Connects to `port`, sends `request` (without closing: the relay closes a connection both ways when
 * one side does), reads everything (pausing a while first) until the upstream ends.
 */
function exchange(port: number, request: Buffer, stallMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = netConnect(port, '127.0.0.1', () => socket.write(request));
    socket.on('error', reject);
    // A reader that does not keep up: the relay's writes back up and its reads must pause.
    socket.pause();
    setTimeout(() => socket.resume(), stallMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

describe('splice with DirectReads', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('carries every byte both ways, two connections at once, through a reader that stalls', async () => {
    // Each upstream answers 12 MB (more than the socket buffers hold) once it has the whole request.
    const answers = [randomBytes(12 * 1024 * 1024), randomBytes(12 * 1024 * 1024)];
    const size = 3 * 1024 * 1024;
    const requests = [randomBytes(size), randomBytes(size)];
    const received: string[] = [];
    let next = 0;
    const upstream = await serve((socket) => {
      const answer = answers[next++]!;
      const got: Buffer[] = [];
      let length = 0;
      socket.on('data', (chunk: Buffer) => {
        got.push(chunk);
        length += chunk.length;
        if (length < size) return;
        received.push(sha256(Buffer.concat(got)));
        socket.end(answer);
      });
    });
    closers.push(() => upstream.server.close());
    const { listener, port } = await relay(upstream.port);
    closers.push(() => listener.close());

    const [first, second] = await Promise.all([
      exchange(port, requests[0]!, 300),
      exchange(port, requests[1]!, 150),
    ]);

    expect(new Set(received)).toEqual(new Set(requests.map(sha256)));
    expect(new Set([sha256(first), sha256(second)])).toEqual(new Set(answers.map(sha256)));
  });

  it('holds what the upstream sends before the join, and passes it on first', async () => {
    let banner!: () => void;
    const bannerSent = new Promise<void>((resolve) => (banner = resolve));
    const upstream = await serve((socket) => {
      // A server that speaks first (SMTP, MySQL): its greeting arrives before the relay joins.
      socket.write('220 hello\r\n', () => banner());
      socket.on('data', (chunk: Buffer) => socket.end(`echo ${chunk.toString()}`));
    });
    closers.push(() => upstream.server.close());
    const { listener, port } = await relay(upstream.port, async () => {
      await bannerSent;
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    closers.push(() => listener.close());

    const answer = await exchange(port, Buffer.from('QUIT'), 0);

    expect(answer.toString()).toBe('220 hello\r\necho QUIT');
  });
});
