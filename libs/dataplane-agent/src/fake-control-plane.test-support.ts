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
