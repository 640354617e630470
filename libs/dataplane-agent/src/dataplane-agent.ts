import {
  X509Certificate,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  Client,
  Metadata,
  credentials,
  status as GrpcStatus,
  type ChannelCredentials,
  type ClientDuplexStream,
} from '@grpc/grpc-js';
import {
  dataplaneStreamMethod,
  type DataplaneClientMessage,
  type DataplaneKeyType,
  type DataplaneServerMessage,
} from '@meshtls/contracts';
import { createCsr } from '@meshtls/pki';
import { backoffDelay } from './backoff';
import { clearCertDir, writeCertDir, writeTrustBundle } from './cert-dir.writer';
import { bundlePem, type DataplaneIdentity } from './identity';

export interface DataplaneAgentOptions {
  /** `host:port` of mesh-api replicas, tried in turn (failover). */
  readonly cpAddresses: readonly string[];
  /** PEM of the CA that signed the control plane's server certificate. */
  readonly caCertPem: string;
  readonly mesh: string;
  readonly name: string;
  readonly token: string;
  /** The Dataplane resource (universal form) to create or update at connect time; else it must exist. */
  readonly dataplane?: Record<string, unknown>;
  readonly keyType?: DataplaneKeyType;
  /** Where to write cert.pem, key.pem and ca.pem for applications; nothing is written without it. */
  readonly certDir?: string;
  /** Server name checked against the control plane's certificate; defaults to the address's host. */
  readonly serverName?: string;
  /** Extra gRPC channel options. */
  readonly channelOptions?: Record<string, string | number>;
  /**
   * TLS credentials to use instead of making them from `caCertPem`. gRPC shares one connection between
   * clients with the same target, options and credentials object: a simulated fleet passes one object
   * to many agents to multiplex them; a sidecar leaves it out and has a connection of its own.
   */
  readonly credentials?: ChannelCredentials;
  readonly backoff?: (attempt: number) => number;
}

/** Status codes after which reconnecting cannot help until an operator acts. */
const FATAL = new Set<number>([
  GrpcStatus.UNAUTHENTICATED,
  GrpcStatus.PERMISSION_DENIED,
  GrpcStatus.INVALID_ARGUMENT,
]);

export interface AgentEvents {
  identity: [DataplaneIdentity];
  trust: [string];
  withdrawn: [string];
  connected: [string];
  disconnected: [{ address: string; code: number; details: string }];
  refused: [{ address: string; code: number; details: string }];
}

/**
 * The dataplane's side of the identity stream, usable by the sidecar and by simulated fleets alike.
 * Keeps one stream to one control plane at a time, reconnecting with jittered backoff and failing over
 * between addresses; private keys are made here and never sent; the current identity is kept (and
 * served) while the control plane is away.
 */
export class DataplaneAgent extends EventEmitter<AgentEvents> {
  /** Random per process: the control plane tells a restart from a reconnect by it. */
  readonly session = randomUUID();
  identity?: DataplaneIdentity;
  /** True when the mesh has mTLS off: no identity is expected. */
  mtlsDisabled = false;
  connectedTo?: string;
  private client?: Client;
  private call?: ClientDuplexStream<DataplaneClientMessage, DataplaneServerMessage>;
  private stopped = false;
  private timer?: ReturnType<typeof setTimeout>;
  private attempt = 0;
  private next = 0;
  /** Keys made for CSRs the control plane asked for, until their certificate arrives. */
  private readonly pendingKeys: KeyObject[] = [];

  constructor(private readonly options: DataplaneAgentOptions) {
    super();
    if (options.cpAddresses.length === 0) throw new RangeError('DataplaneAgent: no control plane address');
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.call?.cancel();
    this.client?.close();
    this.call = undefined;
    this.client = undefined;
  }

  private connect(): void {
    if (this.stopped) return;
    const address = this.options.cpAddresses[this.next % this.options.cpAddresses.length]!;
    const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const serverName = this.options.serverName ?? host;
    const tls = this.options.credentials ?? credentials.createSsl(Buffer.from(this.options.caCertPem));
    const client = new Client(address, tls, {
      'grpc.ssl_target_name_override': serverName,
      'grpc.default_authority': serverName,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.initial_reconnect_backoff_ms': 250,
      ...this.options.channelOptions,
    });
    const m = dataplaneStreamMethod;
    const call = client.makeBidiStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      new Metadata(),
    );
    this.client = client;
    this.call = call;
    const { key, csrPem } = this.newKey();
    let identified = false;
    call.on('data', (message: DataplaneServerMessage) => {
      if (!identified) {
        identified = true;
        this.attempt = 0;
        this.connectedTo = address;
        this.emit('connected', address);
      }
      this.onMessage(call, message, key);
    });
    call.on('error', (error: Error & { code?: number; details?: string }) =>
      this.onEnd(call, address, error.code ?? GrpcStatus.UNKNOWN, error.details ?? error.message),
    );
    call.on('end', () => this.onEnd(call, address, GrpcStatus.UNAVAILABLE, 'stream ended'));
    call.write({
      type: 'hello',
      mesh: this.options.mesh,
      name: this.options.name,
      token: this.options.token,
      session: this.session,
      csrPem,
      ...(this.options.dataplane ? { dataplane: this.options.dataplane } : {}),
      ...(this.identity ? { currentSerial: this.identity.serial } : {}),
    });
    this.remember(key);
  }

  /** Keeps the few newest keys whose certificate may still come; older ones can no longer be asked for. */
  private remember(key: KeyObject): void {
    this.pendingKeys.push(key);
    if (this.pendingKeys.length > 8) this.pendingKeys.shift();
  }

  private onMessage(
    call: ClientDuplexStream<DataplaneClientMessage, DataplaneServerMessage>,
    message: DataplaneServerMessage,
    helloKey: KeyObject,
  ): void {
    if (message.type === 'csr-request') {
      const { key, csrPem } = this.newKey();
      this.remember(key);
      call.write({ type: 'csr', requestId: message.requestId, csrPem });
    } else if (message.type === 'identity') {
      const key = message.keyPem ?? this.keyFor(message.certPem, helloKey);
      const identity: DataplaneIdentity = {
        ...message,
        keyPem: key,
        trustBundlePem: bundlePem(message.trustBundle),
      };
      try {
        if (this.options.certDir) writeCertDir(this.options.certDir, identity);
        this.identity = identity;
        this.mtlsDisabled = false;
        call.write({ type: 'ack', serial: message.serial });
        this.emit('identity', identity);
      } catch (error) {
        call.write({ type: 'ack', serial: message.serial, error: (error as Error).message });
      }
    } else if (message.type === 'trust') {
      const pem = bundlePem(message.trustBundle);
      if (this.identity)
        this.identity = {
          ...this.identity,
          trustBundlePem: pem,
          supportedBackends: message.supportedBackends,
        };
      if (this.options.certDir) writeTrustBundle(this.options.certDir, pem);
      this.emit('trust', pem);
    } else {
      this.identity = undefined;
      this.mtlsDisabled = true;
      this.pendingKeys.length = 0;
      if (this.options.certDir) clearCertDir(this.options.certDir);
      this.emit('withdrawn', message.reason);
    }
  }

  /** The key whose public half is in the certificate: the newest pending key that matches. */
  private keyFor(certPem: string, fallback: KeyObject): string {
    const spki = publicKeyOfCert(certPem);
    const index = this.pendingKeys.findIndex((k) => spkiOf(k).equals(spki));
    const key = index >= 0 ? this.pendingKeys[index]! : fallback;
    if (index >= 0) this.pendingKeys.splice(0, index + 1);
    return key.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  private onEnd(
    call: ClientDuplexStream<DataplaneClientMessage, DataplaneServerMessage>,
    address: string,
    code: number,
    details: string,
  ): void {
    if (call !== this.call) return;
    this.call = undefined;
    this.client?.close();
    this.client = undefined;
    this.connectedTo = undefined;
    if (this.stopped) return;
    const event = { address, code, details };
    if (FATAL.has(code)) this.emit('refused', event);
    else this.emit('disconnected', event);
    this.next++;
    const delay = (this.options.backoff ?? backoffDelay)(this.attempt++);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private newKey(): { key: KeyObject; csrPem: string } {
    const pair =
      this.options.keyType === 'rsa-2048'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      key: pair.privateKey,
      csrPem: createCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey }),
    };
  }
}

function spkiOf(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

function publicKeyOfCert(certPem: string): Buffer {
  return new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
}
