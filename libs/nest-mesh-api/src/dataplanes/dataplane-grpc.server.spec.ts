import { connect as http2Connect, type IncomingHttpHeaders } from 'node:http2';
import {
  connect as tcpConnect,
  createServer as tcpServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { Client, Metadata, credentials, status as GrpcStatus, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  StreamRefusedError,
  StreamStatus,
  type DataplaneChannel,
  type DataplaneHub,
  type DataplaneSession,
} from '@meshtls/application';
import {
  STREAM_END_TRAILER,
  dataplaneStreamMethod as m,
  type DataplaneClientMessage,
  type DataplaneServerMessage,
} from '@meshtls/contracts';
import { createServerIdentity } from '@meshtls/pki';
import { eventually } from '@meshtls/testing';
import { DataplaneGrpcServer, type DataplaneServerOptions } from './dataplane-grpc.server';
import { loadDpServerConfig } from './dp-server.config';

/** The hub's side as the server sees it: what it was handed, and what it answers. */
class RecordingHub {
  readonly channels: DataplaneChannel[] = [];
  readonly messages: DataplaneClientMessage[] = [];
  disconnects = 0;
  refusal: StreamRefusedError | undefined;

  connect(channel: DataplaneChannel, hello: DataplaneClientMessage, admitted: (s: DataplaneSession) => void) {
    if (this.refusal) return Promise.reject(this.refusal);
    this.channels.push(channel);
    const session = { hello } as unknown as DataplaneSession;
    admitted(session);
    channel.send({ type: 'withdrawn', reason: 'mTLS is off' } as DataplaneServerMessage);
    return Promise.resolve(session);
  }
  onMessage(_s: DataplaneSession, message: DataplaneClientMessage): void {
    this.messages.push(message);
  }
  disconnect(): void {
    this.disconnects++;
  }
  closeAll(message: string): void {
    for (const channel of this.channels) channel.close(StreamStatus.Unavailable, message);
  }
}

interface Outcome {
  messages: DataplaneServerMessage[];
  code?: number;
  details?: string;
  trailer?: string;
}

const identity = createServerIdentity({ hostnames: ['127.0.0.1'], validityMs: 3_600_000, now: new Date() });
const hello: DataplaneClientMessage = {
  type: 'hello',
  mesh: 'm',
  name: 'dp-1',
  token: 't'.repeat(40),
  session: 'session-1',
};

describe('DataplaneGrpcServer: the dataplane stream over HTTP/2, with the gRPC client the sidecar uses', () => {
  let hub: RecordingHub;
  let server: DataplaneGrpcServer;
  let port: number;
  const clients: Client[] = [];

  const start = async (options: Partial<DataplaneServerOptions> = {}) => {
    hub = new RecordingHub();
    const config = loadDpServerConfig({});
    server = new DataplaneGrpcServer(hub as unknown as DataplaneHub, () => undefined, {
      keepalive: { timeMs: config.keepaliveTimeMs, timeoutMs: config.keepaliveTimeoutMs },
      helloTimeoutMs: config.helloTimeoutMs,
      maxStreamsPerConnection: config.maxStreamsPerConnection,
      ...options,
    });
    port = await server.listen('127.0.0.1', 0, identity);
  };
  const clientOf = (target = `127.0.0.1:${port}`) => {
    const client = new Client(target, credentials.createSsl(Buffer.from(identity.caCertPem)));
    clients.push(client);
    return client;
  };
  const open = (client: Client, path: string = m.path) =>
    client.makeBidiStreamRequest<Buffer, DataplaneServerMessage>(
      path,
      (b) => b,
      m.responseDeserialize,
      new Metadata(),
    );
  const outcomeOf = (call: ClientDuplexStream<Buffer, DataplaneServerMessage>) =>
    new Promise<Outcome>((resolve) => {
      const outcome: Outcome = { messages: [] };
      call.on('data', (message: DataplaneServerMessage) => outcome.messages.push(message));
      call.on('status', (s: { code: number; details: string; metadata: Metadata }) =>
        resolve({
          ...outcome,
          code: s.code,
          details: s.details,
          trailer: s.metadata.get(STREAM_END_TRAILER)[0] as string | undefined,
        }),
      );
      call.on('error', () => undefined);
    });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await server.close();
  });

  it('hands a hello to the hub, delivers what the hub sends, and passes on later messages', async () => {
    await start();
    const call = open(clientOf());
    const outcome = outcomeOf(call);
    call.write(m.requestSerialize(hello));
    call.write(m.requestSerialize({ type: 'ack', serial: 'ab' }));
    await eventually(() => expect(hub.messages).toEqual([{ type: 'ack', serial: 'ab' }]));
    call.end();
    expect(await outcome).toMatchObject({
      messages: [{ type: 'withdrawn', reason: 'mTLS is off' }],
      code: GrpcStatus.OK,
    });
    await eventually(() => expect(hub.disconnects).toBeGreaterThanOrEqual(1));
  });

  it('ends with the hub refusal status, its message (any characters) and its reason trailer', async () => {
    await start();
    hub.refusal = new StreamRefusedError(
      StreamStatus.Aborted,
      'replaced by a newer stream – 100% sure',
      'replaced',
    );
    const call = open(clientOf());
    const outcome = outcomeOf(call);
    call.write(m.requestSerialize(hello));
    expect(await outcome).toEqual({
      messages: [],
      code: GrpcStatus.ABORTED,
      details: 'replaced by a newer stream – 100% sure',
      trailer: 'replaced',
    });
  });

  it('refuses bytes that are not a dataplane message, naming what is wrong, and keeps serving', async () => {
    await start();
    const client = clientOf();
    const notJson = open(client);
    const notJsonOutcome = outcomeOf(notJson);
    notJson.write(Buffer.from('{not json'));
    expect(await notJsonOutcome).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'a message is not JSON',
    });

    const badField = open(client);
    const badFieldOutcome = outcomeOf(badField);
    badField.write(Buffer.from(JSON.stringify({ ...hello, session: 'x' })));
    expect(await badFieldOutcome).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: expect.stringMatching(/^a message does not match its schema \(session: /),
    });

    const notHello = open(client);
    const notHelloOutcome = outcomeOf(notHello);
    notHello.write(m.requestSerialize({ type: 'ack', serial: '01' }));
    expect(await notHelloOutcome).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'the first message must be a hello',
    });

    const huge = open(client);
    const hugeOutcome = outcomeOf(huge);
    huge.write(Buffer.alloc(300 * 1024, 0x20));
    expect(await hugeOutcome).toMatchObject({
      code: GrpcStatus.RESOURCE_EXHAUSTED,
      details: 'message of 307200 bytes is larger than the 262144 allowed',
    });
    expect(hub.channels).toHaveLength(0);

    const fine = open(client);
    const fineOutcome = outcomeOf(fine);
    fine.write(m.requestSerialize(hello));
    fine.end();
    expect(await fineOutcome).toMatchObject({ code: GrpcStatus.OK, messages: [{ type: 'withdrawn' }] });
  });

  it('answers any other method with UNIMPLEMENTED', async () => {
    await start();
    const call = open(clientOf(), '/meshtls.dataplane.v1.DataplaneIdentity/Other');
    const outcome = outcomeOf(call);
    call.write(m.requestSerialize(hello));
    expect(await outcome).toMatchObject({
      code: GrpcStatus.UNIMPLEMENTED,
      details: 'no method /meshtls.dataplane.v1.DataplaneIdentity/Other here',
    });
  });

  it('answers a compressed stream UNIMPLEMENTED (identity only) and a request that is not gRPC 415', async () => {
    await start();
    const session = http2Connect(`https://127.0.0.1:${port}`, { ca: identity.caCertPem });
    const answer = (headers: Record<string, string>) =>
      new Promise<IncomingHttpHeaders>((resolve, reject) => {
        const request = session.request({ ':method': 'POST', ':path': m.path, ...headers });
        request.on('response', resolve);
        request.on('error', reject);
        request.end();
      });
    try {
      expect(await answer({ 'content-type': 'application/grpc', 'grpc-encoding': 'gzip' })).toMatchObject({
        ':status': 200,
        'grpc-status': '12',
        'grpc-message': 'grpc-encoding gzip is not supported',
        'grpc-accept-encoding': 'identity',
      });
      expect(await answer({ 'content-type': 'text/plain' })).toMatchObject({ ':status': 415 });
      expect(hub.channels).toHaveLength(0);
    } finally {
      session.destroy();
    }
  });

  it('ends every stream with UNAVAILABLE when it closes, and the connections with them', async () => {
    await start();
    const client = clientOf();
    const calls = [open(client), open(client)];
    const outcomes = calls.map(outcomeOf);
    for (const call of calls) call.write(m.requestSerialize(hello));
    await eventually(() => expect(hub.channels).toHaveLength(2));
    const closed = server.close();
    for (const outcome of await Promise.all(outcomes))
      expect(outcome).toMatchObject({ code: GrpcStatus.UNAVAILABLE, details: 'control plane shutting down' });
    await closed;
    expect(hub.disconnects).toBeGreaterThanOrEqual(2);
  });

  it('drops a connection whose peer stops answering pings, and the hub hears its stream ended', async () => {
    // Pings every 300 ms; an answer may take 2 s (client and server share this process's event loop, which
    // a loaded machine can stall), so only a frozen peer misses it.
    await start({ keepalive: { timeMs: 300, timeoutMs: 2_000 } });
    // A TCP relay between the client and the server that can be frozen: the peer "vanishes" without a
    // FIN or a reset, as a dataplane on a host that lost power does.
    let frozen = false;
    const sockets: Socket[] = [];
    const relay: Server = tcpServer((inbound) => {
      const outbound = tcpConnect(port, '127.0.0.1');
      sockets.push(inbound, outbound);
      inbound.on('data', (d) => frozen || outbound.write(d));
      outbound.on('data', (d) => frozen || inbound.write(d));
      for (const s of [inbound, outbound]) s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const call = open(clientOf(`127.0.0.1:${(relay.address() as AddressInfo).port}`));
      call.on('error', () => undefined);
      call.write(m.requestSerialize(hello));
      await eventually(() => expect(hub.channels).toHaveLength(1));
      // Pinged every 300 ms and answered: the stream stays.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(hub.disconnects).toBe(0);
      frozen = true;
      await eventually(() => expect(hub.disconnects).toBe(1), 10_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it('ends a stream that sends no hello in time, UNAUTHENTICATED, and leaves one that did', async () => {
    await start({ helloTimeoutMs: 1_000 });
    const client = clientOf();
    const greeted = open(client);
    const greetedOutcome = outcomeOf(greeted);
    let greetedEnded = false;
    greeted.on('status', () => (greetedEnded = true));
    greeted.write(m.requestSerialize(hello));
    await eventually(() => expect(hub.channels).toHaveLength(1));
    const silent = open(client);
    expect(await outcomeOf(silent)).toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
      details: 'no hello (with the dataplane token) within 1 s',
    });
    // The greeted stream is older than the timeout by now, and still open.
    expect(greetedEnded).toBe(false);
    greeted.end();
    expect(await greetedOutcome).toMatchObject({ code: GrpcStatus.OK, messages: [{ type: 'withdrawn' }] });
  });

  it('lets a connection have at most maxStreamsPerConnection streams open; the next waits for one to end', async () => {
    await start({ maxStreamsPerConnection: 2 });
    const client = clientOf();
    const calls = [open(client), open(client), open(client)];
    const outcomes = calls.map(outcomeOf);
    for (const call of calls) call.write(m.requestSerialize(hello));
    await eventually(() => expect(hub.channels).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hub.channels).toHaveLength(2);
    calls[0]!.end();
    expect((await outcomes[0])?.code).toBe(GrpcStatus.OK);
    await eventually(() => expect(hub.channels).toHaveLength(3));
    for (const call of calls.slice(1)) call.end();
    for (const outcome of await Promise.all(outcomes.slice(1))) expect(outcome.code).toBe(GrpcStatus.OK);
  });
});
