import { X509Certificate, generateKeyPairSync, type KeyObject } from 'node:crypto';
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
import { SigningCa, builtinCaCertificate } from '@meshtls/pki';
import type { DataplaneAgentOptions } from './dataplane-agent.options';

export type ControlPlaneCall = ServerDuplexStream<DataplaneClientMessage, DataplaneServerMessage>;

export interface FakeControlPlane {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * A plaintext gRPC server speaking the dataplane stream on a free loopback port, for the agent's specs:
 * `onMessage` sees every message a dataplane sends, with the call to answer on.
 */
export async function startFakeControlPlane(
  onMessage: (call: ControlPlaneCall, message: DataplaneClientMessage) => void,
): Promise<FakeControlPlane> {
  const server = new Server();
  server.addService(
    dataplaneIdentityService as unknown as ServiceDefinition,
    {
      stream: (call: ControlPlaneCall) =>
        call.on('data', (message: DataplaneClientMessage) => onMessage(call, message)),
    } as UntypedServiceImplementation,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { port, stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

/** An agent's options for dataplane web-1 of mesh m, connecting to `port` in plaintext. */
export function plaintextAgentOptions(port: number): DataplaneAgentOptions {
  return {
    cpAddresses: [`127.0.0.1:${port}`],
    caCertPem: '',
    credentials: credentials.createInsecure(),
    mesh: 'm',
    name: 'web-1',
    token: 'not-checked-here',
  };
}

const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
/** The CA of mesh `m`, backend `ca-1`, whose certificates the fake control plane hands out. */
export const testCa = SigningCa.load({
  certChainPem: builtinCaCertificate({
    mesh: 'm',
    backend: 'ca-1',
    ...caKeys,
    validityMs: 86_400_000,
    now: new Date(),
  }),
  keyPem: caKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});

/**
 * An identity message for a certificate over `publicKey` (spiffe://m/web, valid an hour) signed by
 * `testCa`; its rotation time is its expiry unless `extra` says otherwise.
 */
export function identityFor(
  publicKey: KeyObject,
  extra: Partial<DataplaneServerMessage> = {},
): DataplaneServerMessage {
  const issued = testCa.issue({
    publicKey,
    uris: ['spiffe://m/web'],
    validityMs: 3_600_000,
    now: new Date(),
  });
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
    trustBundle: [{ backend: 'ca-1', certPem: testCa.trustAnchorPem }],
    mode: 'STRICT',
    uris: ['spiffe://m/web'],
    ...extra,
  } as DataplaneServerMessage;
}
