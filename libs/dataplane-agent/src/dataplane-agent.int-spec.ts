import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import {
  Server,
  ServerCredentials,
  credentials,
  type ServerDuplexStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  dataplaneIdentityService,
  type DataplaneClientMessage,
  type DataplaneServerMessage,
} from '@meshtls/contracts';
import { SigningCa, builtinCaCertificate, verifyCsr } from '@meshtls/pki';
import { eventually } from '@meshtls/testing';
import { DataplaneAgent } from './dataplane-agent';

type Call = ServerDuplexStream<DataplaneClientMessage, DataplaneServerMessage>;

const now = new Date();
const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ca = SigningCa.load({
  certChainPem: builtinCaCertificate({ mesh: 'm', backend: 'ca-1', ...caKeys, validityMs: 86_400_000, now }),
  keyPem: caKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});

/** An identity message for a certificate over `publicKey`, signed by the mesh's CA. */
function identityFor(publicKey: ReturnType<typeof verifyCsr>, extra: Partial<DataplaneServerMessage> = {}) {
  const issued = ca.issue({ publicKey, uris: ['spiffe://m/web'], validityMs: 3_600_000, now });
  const cert = new X509Certificate(issued.certPem);
  return {
    type: 'identity',
    reason: 'new',
    certPem: issued.certPem,
    chainPem: issued.chainPem,
    serial: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    rotateAt: new Date(cert.validTo).toISOString(),
    backend: 'ca-1',
    supportedBackends: ['ca-1'],
    trustBundle: [{ backend: 'ca-1', certPem: ca.trustAnchorPem }],
    mode: 'STRICT',
    uris: ['spiffe://m/web'],
    ...extra,
  } as DataplaneServerMessage;
}

/**
 * The sidecar against a control plane that does not play by the rules: it makes its own key, and a
 * certificate or key it is handed for any other key is refused (acknowledged with an error), never served.
 */
describe('DataplaneAgent against a control plane that hands out keys', () => {
  let server: Server;
  let agent: DataplaneAgent;
  const acks: { serial: string; error?: string }[] = [];
  let answer: (call: Call, hello: Extract<DataplaneClientMessage, { type: 'hello' }>) => void;

  beforeAll(async () => {
    server = new Server();
    server.addService(
      dataplaneIdentityService as unknown as ServiceDefinition,
      {
        stream: (call: Call) =>
          call.on('data', (message: DataplaneClientMessage) => {
            if (message.type === 'hello') answer(call, message);
            if (message.type === 'ack') acks.push({ serial: message.serial, error: message.error });
          }),
      } as UntypedServiceImplementation,
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    agent = new DataplaneAgent({
      cpAddresses: [`127.0.0.1:${port}`],
      caCertPem: '',
      credentials: credentials.createInsecure(),
      mesh: 'm',
      name: 'web-1',
      token: 'not-checked-here',
    });
  });

  afterAll(async () => {
    agent?.stop();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
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
});
