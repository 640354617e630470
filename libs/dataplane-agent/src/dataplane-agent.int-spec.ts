import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import {
  STREAM_END_TRAILER,
  type DataplaneClientMessage,
  type DataplaneServerMessage,
} from '@meshtls/contracts';
import { verifyCsr } from '@meshtls/pki';
import { eventually } from '@meshtls/testing';
import { DataplaneAgent } from './dataplane-agent';
import {
  identityFor,
  plaintextAgentOptions,
  startFakeControlPlane,
  type ControlPlaneCall,
  type FakeControlPlane,
} from './fake-control-plane.test-support';

type Call = ControlPlaneCall;

/**
 * The sidecar against a control plane that does not play by the rules: it makes its own key, and a
 * certificate or key it is handed for any other key is refused (acknowledged with an error), never served.
 */
describe('DataplaneAgent against a control plane that hands out keys', () => {
  let server: FakeControlPlane;
  let agent: DataplaneAgent;
  const acks: { serial: string; error?: string; bundle?: string }[] = [];
  let answer: (call: Call, hello: Extract<DataplaneClientMessage, { type: 'hello' }>) => void;
  /** Every stream a hello opened, newest last. */
  const streams: Call[] = [];

  beforeAll(async () => {
    server = await startFakeControlPlane((call, message) => {
      if (message.type === 'hello') {
        streams.push(call);
        answer(call, message);
      }
      if (message.type === 'ack')
        acks.push({
          serial: message.serial,
          error: message.error,
          ...(message.bundle === undefined ? {} : { bundle: message.bundle }),
        });
    });
    agent = new DataplaneAgent(plaintextAgentOptions(server.port));
  });

  afterAll(async () => {
    agent?.stop();
    await server.stop();
  });

  it('refuses a certificate for a key it did not make, even with that key attached', async () => {
    const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let sent: DataplaneServerMessage | undefined;
    answer = (call, hello) => {
      // Answers the hello's request id, but with its own key pair instead of the CSR's.
      sent = identityFor(foreign.publicKey, {
        requestId: hello.requestId,
        keyPem: foreign.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      } as Partial<DataplaneServerMessage>);
      call.write(sent);
    };
    agent.start();
    await eventually(() => expect(acks).toHaveLength(1), 10_000);
    expect(acks[0]).toEqual({
      serial: (sent as { serial: string }).serial,
      error: 'no key of this dataplane matches the certificate',
    });
    expect(agent.identity).toBeUndefined();
  });

  it('takes the certificate issued for its own CSR', async () => {
    answer = (call, hello) =>
      call.write(identityFor(verifyCsr(hello.csrPem!), { requestId: hello.requestId }));
    agent.stop();
    agent.start();
    await eventually(() => expect(agent.identity).toBeDefined(), 10_000);
    // The acknowledgement reaches the server a moment after the agent took the certificate.
    await eventually(() => expect(acks.at(-1)).toEqual({ serial: agent.identity!.serial, error: undefined }));
    const cert = new X509Certificate(agent.identity!.certPem);
    expect(cert.checkPrivateKey(createPrivateKey(agent.identity!.keyPem))).toBe(true);
  });

  it('acknowledges a trust bundle by its id once it is in use (what a CA switch waits for)', async () => {
    const serial = agent.identity!.serial;
    // A second CA's anchor: any certificate will do for the agent, which serves the bundle as given.
    const anchor = identityFor(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey) as {
      certPem: string;
    };
    const trustBundle = [
      { backend: 'ca-1', certPem: agent.identity!.trustBundlePem },
      { backend: 'ca-2', certPem: anchor.certPem },
    ];
    // The control plane sends the bundle on the stream the agent holds open since the previous test.
    const stream = await eventually(() => {
      const open = streams.at(-1);
      if (!open) throw new Error('no stream yet');
      return open;
    });
    stream.write({ type: 'trust', supportedBackends: ['ca-1', 'ca-2'], trustBundle, bundleId: 'bundle-2' });
    await eventually(() => expect(acks.at(-1)).toEqual({ serial, error: undefined, bundle: 'bundle-2' }));
    expect(agent.identity!.supportedBackends).toEqual(['ca-1', 'ca-2']);
  });
});

/** Ends a stream as mesh-api does: a status, a message, and the trailer naming why. */
function endStream(call: Call, code: GrpcStatus, details: string, reason: string): void {
  const metadata = new Metadata();
  metadata.set(STREAM_END_TRAILER, reason);
  call.emit('error', Object.assign(new Error(details), { code, details, metadata }));
}

/** The sidecar told by the control plane why its stream ended, where that asks for something particular. */
describe('DataplaneAgent told why its stream ended', () => {
  let server: FakeControlPlane;
  let agent: DataplaneAgent | undefined;
  const hellos: Extract<DataplaneClientMessage, { type: 'hello' }>[] = [];
  let answer: (call: Call, hello: Extract<DataplaneClientMessage, { type: 'hello' }>, n: number) => void;

  beforeAll(async () => {
    server = await startFakeControlPlane((call, message) => {
      if (message.type === 'hello') {
        hellos.push(message);
        answer(call, message, hellos.length);
      }
    });
  });

  beforeEach(() => {
    hellos.length = 0;
  });

  afterEach(() => agent?.stop());

  afterAll(async () => {
    await server.stop();
  });

  const start = (extra: Partial<ConstructorParameters<typeof DataplaneAgent>[0]> = {}) => {
    agent = new DataplaneAgent({ ...plaintextAgentOptions(server.port), ...extra });
    const events: string[] = [];
    for (const name of ['refused', 'disconnected', 'replaced', 'csrRefused'] as const)
      agent.on(name, () => events.push(name));
    agent.start();
    return { agent, events };
  };

  it('backs off longer every time a newer stream of its name replaces it, not reconnecting at once', async () => {
    answer = (call, hello, n) =>
      n <= 3
        ? endStream(call, GrpcStatus.ABORTED, 'replaced by a newer stream of the same dataplane', 'replaced')
        : call.write(identityFor(verifyCsr(hello.csrPem!), { requestId: hello.requestId }));
    const waits: number[] = [];
    const backoff = jest.fn(() => 0);
    const { agent, events } = start({
      backoff,
      replacedBackoff: (n) => {
        waits.push(n);
        return 20 * 2 ** n;
      },
    });
    const replaced: { times: number; retryInMs: number }[] = [];
    agent.on('replaced', (e) => replaced.push({ times: e.times, retryInMs: e.retryInMs }));
    await eventually(() => expect(agent.identity).toBeDefined(), 10_000);
    expect(waits).toEqual([0, 1, 2]);
    expect(replaced).toEqual([
      { times: 1, retryInMs: 20 },
      { times: 2, retryInMs: 40 },
      { times: 3, retryInMs: 80 },
    ]);
    expect(events).toEqual(['replaced', 'replaced', 'replaced']);
    expect(backoff).not.toHaveBeenCalled();
  });

  it('makes a new key and CSR when its CSR is refused, and is not stopped by the refusal', async () => {
    answer = (call, hello, n) =>
      n === 1
        ? endStream(
            call,
            GrpcStatus.INVALID_ARGUMENT,
            'CSR refused: the CSR signature does not verify with its public key',
            'csr-refused',
          )
        : call.write(identityFor(verifyCsr(hello.csrPem!), { requestId: hello.requestId }));
    const { agent, events } = start({ backoff: () => 10 });
    await eventually(() => expect(agent.identity).toBeDefined(), 10_000);
    expect(events).toEqual(['csrRefused']);
    expect(hellos).toHaveLength(2);
    const [refused, next] = hellos.map((h) => verifyCsr(h.csrPem!).export({ type: 'spki', format: 'der' }));
    expect(next!.equals(refused!)).toBe(false);
    expect(
      new X509Certificate(agent.identity!.certPem).publicKey.export({ type: 'spki', format: 'der' }),
    ).toEqual(next);
  });
});
