import {
  Metadata,
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type ServerDuplexStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  StreamRefusedError,
  StreamStatus,
  type DataplaneChannel,
  type DataplaneHub,
  type DataplaneSession,
} from '@meshtls/application';
import {
  STREAM_END_TRAILER,
  dataplaneIdentityService,
  type DataplaneClientMessage,
  type DataplaneServerMessage,
} from '@meshtls/contracts';

const GRPC_CODES: Record<StreamStatus, GrpcStatus> = {
  [StreamStatus.Unauthenticated]: GrpcStatus.UNAUTHENTICATED,
  [StreamStatus.PermissionDenied]: GrpcStatus.PERMISSION_DENIED,
  [StreamStatus.NotFound]: GrpcStatus.NOT_FOUND,
  [StreamStatus.InvalidArgument]: GrpcStatus.INVALID_ARGUMENT,
  [StreamStatus.FailedPrecondition]: GrpcStatus.FAILED_PRECONDITION,
  [StreamStatus.ResourceExhausted]: GrpcStatus.RESOURCE_EXHAUSTED,
  [StreamStatus.Aborted]: GrpcStatus.ABORTED,
  [StreamStatus.Unavailable]: GrpcStatus.UNAVAILABLE,
};

type Call = ServerDuplexStream<DataplaneClientMessage, DataplaneServerMessage>;

/**
 * The dataplane endpoint: gRPC over TLS, one bidirectional stream per dataplane, handed to the hub.
 * The first message must be a hello; the hub's refusals end the stream with their gRPC status. HTTP/2
 * keepalive finds dataplanes that vanished without closing their connection.
 */
export class DataplaneGrpcServer {
  private readonly server: Server;

  constructor(
    private readonly hub: DataplaneHub,
    private readonly log: (level: 'warn' | 'debug', message: string) => void,
    keepalive: { timeMs: number; timeoutMs: number } = { timeMs: 20_000, timeoutMs: 10_000 },
  ) {
    this.server = new Server({
      'grpc.keepalive_time_ms': keepalive.timeMs,
      'grpc.keepalive_timeout_ms': keepalive.timeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 5_000,
      'grpc.max_receive_message_length': 256 * 1024,
    });
    this.server.addService(
      dataplaneIdentityService as unknown as ServiceDefinition,
      {
        stream: (call: Call) => this.handle(call),
      } as UntypedServiceImplementation,
    );
  }

  /** Binds and resolves the port actually bound (for port 0). */
  listen(address: string, port: number, tls: { certPem: string; keyPem: string }): Promise<number> {
    const credentials = ServerCredentials.createSsl(
      null,
      [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }],
      false,
    );
    const host = address.includes(':') ? `[${address}]` : address;
    return new Promise((resolve, reject) =>
      this.server.bindAsync(`${host}:${port}`, credentials, (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
  }

  /** Stops accepting and ends every stream: dataplanes reconnect to another replica. */
  async close(): Promise<void> {
    this.hub.closeAll('control plane shutting down');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => (this.server.forceShutdown(), resolve()), 2_000);
      this.server.tryShutdown(() => (clearTimeout(timer), resolve()));
    });
  }

  private handle(call: Call): void {
    new DataplaneCall(call, this.hub, this.log).listen();
  }
}

/**
 * One dataplane's stream: the channel the hub sends on, and the stream's events handed to the hub. The
 * first message must be a hello. One object per stream with its methods shared (a dataplane fleet keeps
 * tens of thousands of these open).
 */
class DataplaneCall implements DataplaneChannel {
  private ended = false;
  private hello = false;
  private session: DataplaneSession | undefined;

  constructor(
    private readonly call: Call,
    private readonly hub: DataplaneHub,
    private readonly log: (level: 'warn' | 'debug', message: string) => void,
  ) {}

  listen(): void {
    const { call } = this;
    call.on('error', () => this.finish());
    call.on('cancelled', () => this.finish());
    call.on('end', () => {
      this.finish();
      call.end();
    });
    call.on('data', (message: DataplaneClientMessage) => this.receive(message));
  }

  send(message: DataplaneServerMessage): void {
    if (!this.ended) this.call.write(message);
  }

  close(status: StreamStatus, message: string, reason?: StreamRefusedError['reason']): void {
    if (this.ended) return;
    this.ended = true;
    const metadata = new Metadata();
    if (reason) metadata.set(STREAM_END_TRAILER, reason);
    this.call.emit(
      'error',
      Object.assign(new Error(message), { code: GRPC_CODES[status], details: message, metadata }),
    );
  }

  private finish(): void {
    this.ended = true;
    if (this.session) this.hub.disconnect(this.session);
  }

  private receive(message: DataplaneClientMessage): void {
    if (this.session) return this.hub.onMessage(this.session, message);
    if (this.hello) return; // messages before the identity is sent are not expected; ignore
    if (message.type !== 'hello')
      return this.close(StreamStatus.InvalidArgument, 'the first message must be a hello');
    this.hello = true;
    this.hub
      .connect(this, message, (s) => (this.session = s))
      .then((s) => {
        if (this.ended) this.hub.disconnect(s);
      })
      .catch((error: unknown) => {
        if (error instanceof StreamRefusedError) {
          this.log('debug', `dataplane ${message.mesh}/${message.name} refused: ${error.message}`);
          return this.close(error.status, error.message, error.reason);
        }
        this.log('warn', `dataplane ${message.mesh}/${message.name}: ${(error as Error).message}`);
        this.close(StreamStatus.Unavailable, `could not serve the dataplane: ${(error as Error).message}`);
      });
  }
}
