import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Client, Metadata, status as GrpcStatus, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  STREAM_END_TRAILER,
  dataplaneStreamMethod,
  type DataplaneClientMessage,
  type DataplaneServerMessage,
  type DataplaneTrafficMessage,
} from '@meshtls/contracts';
import { KeyType } from '@meshtls/domain';
import { backoffDelay, replacedBackoffDelay } from './backoff';
import { clearCertDir, writeCertDir, writeTrustBundle } from './cert-dir.writer';
import { controlPlaneClient } from './control-plane.client';
import type { AgentEvents, DataplaneAgentOptions } from './dataplane-agent.options';
import { bundlePem, type DataplaneIdentity } from './identity';
import { PendingKeys } from './pending-keys';
import { RenewalSchedule, certificateTimes } from './renewal';

/** Status codes after which reconnecting cannot help until an operator acts. */
const FATAL = new Set<number>([
  GrpcStatus.UNAUTHENTICATED,
  GrpcStatus.PERMISSION_DENIED,
  GrpcStatus.INVALID_ARGUMENT,
]);

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
  /** What the proxy serves and calls, as last sent (kept while the control plane is away). */
  traffic?: DataplaneTrafficMessage;
  /** True when the mesh has mTLS off: no identity is expected. */
  mtlsDisabled = false;
  connectedTo?: string;
  /** One client per address, kept across reconnects: gRPC reconnects its channel by itself. */
  private readonly clients = new Map<string, Client>();
  private call?: ClientDuplexStream<DataplaneClientMessage, DataplaneServerMessage>;
  private stopped = false;
  private timer?: ReturnType<typeof setTimeout>;
  private attempt = 0;
  private next = 0;
  /** How often a newer stream of the same dataplane replaced this one's. */
  private replaced = 0;
  /** Keys made for CSRs (by request id), until their certificate arrives; the newest few only. */
  private readonly pendingKeys: PendingKeys;
  private readonly renewal?: RenewalSchedule;
  /**
   * The key of the renewal asked for: asked again with the same CSR, so that a slow answer to an earlier
   * ask still finds its key.
   */
  private renewalKey?: { requestId: string; csrPem: string };

  constructor(private readonly options: DataplaneAgentOptions) {
    super();
    if (options.cpAddresses.length === 0) throw new RangeError('DataplaneAgent: no control plane address');
    this.pendingKeys = new PendingKeys(options.keyType ?? KeyType.EcP256);
    if (options.renew !== false) {
      this.renewal = new RenewalSchedule((serial) => this.requestRenewal(serial), {
        ...(options.renewalGraceMs === undefined ? {} : { graceMs: options.renewalGraceMs }),
        ...(options.renewalTimers ? { timers: options.renewalTimers } : {}),
      });
    }
  }

  /** When it asks for a new certificate itself if the control plane has not rotated the one it holds. */
  get renewAt(): Date | undefined {
    return this.renewal?.renewAt;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.renewal?.cancel();
    if (this.timer) clearTimeout(this.timer);
    this.call?.cancel();
    this.call = undefined;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private clientFor(address: string): Client {
    let client = this.clients.get(address);
    if (client) return client;
    client = controlPlaneClient(address, this.options);
    this.clients.set(address, client);
    return client;
  }

  private connect(): void {
    if (this.stopped) return;
    const address = this.options.cpAddresses[this.next % this.options.cpAddresses.length]!;
    const client = this.clientFor(address);
    const m = dataplaneStreamMethod;
    const call = client.makeBidiStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      new Metadata(),
    );
    this.call = call;
    const { requestId, csrPem } = this.pendingKeys.newKey();
    let identified = false;
    call.on('data', (message: DataplaneServerMessage) => {
      if (!identified) {
        identified = true;
        this.attempt = 0;
        this.connectedTo = address;
        this.emit('connected', address);
      }
      this.onMessage(call, message);
    });
    call.on('error', (error: Error & { code?: number; details?: string; metadata?: Metadata }) =>
      this.onEnd(
        call,
        address,
        error.code ?? GrpcStatus.UNKNOWN,
        error.details ?? error.message,
        error.metadata?.get(STREAM_END_TRAILER)[0]?.toString(),
      ),
    );
    call.on('end', () => this.onEnd(call, address, GrpcStatus.UNAVAILABLE, 'stream ended'));
    call.write({
      type: 'hello',
      mesh: this.options.mesh,
      name: this.options.name,
      token: this.options.token,
      session: this.session,
      csrPem,
      requestId,
      ...(this.options.dataplane ? { dataplane: this.options.dataplane } : {}),
    });
  }

  private onMessage(
    call: ClientDuplexStream<DataplaneClientMessage, DataplaneServerMessage>,
    message: DataplaneServerMessage,
  ): void {
    if (message.type === 'csr-request') {
      const { csrPem } = this.pendingKeys.newKey(message.requestId);
      call.write({ type: 'csr', requestId: message.requestId, csrPem });
    } else if (message.type === 'identity') {
      // This agent always makes its key and sends a CSR: a key in the message is never taken, whoever sent it.
      const key = this.pendingKeys.keyFor(message.certPem, message.requestId);
      if (key === undefined) {
        call.write({
          type: 'ack',
          serial: message.serial,
          error: 'no key of this dataplane matches the certificate',
        });
        return;
      }
      const identity: DataplaneIdentity = {
        ...message,
        keyPem: key,
        trustBundlePem: bundlePem(message.trustBundle),
      };
      try {
        if (this.options.certDir) writeCertDir(this.options.certDir, identity);
        this.identity = identity;
        this.mtlsDisabled = false;
        this.renewalKey = undefined;
        this.renewal?.plan(identity.serial, certificateTimes(identity.certPem, identity.rotateAt));
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
      // In use from here on (the proxy took it as it was emitted): a CA switch waits for this.
      if (message.bundleId !== undefined)
        call.write({ type: 'ack', serial: this.identity?.serial ?? '', bundle: message.bundleId });
    } else if (message.type === 'traffic') {
      this.traffic = message;
      this.emit('traffic', message);
    } else {
      this.identity = undefined;
      this.mtlsDisabled = true;
      this.renewal?.cancel();
      this.renewalKey = undefined;
      this.pendingKeys.clear();
      if (this.options.certDir) clearCertDir(this.options.certDir);
      this.emit('withdrawn', message.reason);
    }
  }

  /**
   * Asks for a new certificate over the stream, unasked: the control plane has not rotated `serial` by
   * its renewal time. Nothing is sent without a stream (a reconnect brings a new certificate anyway).
   */
  private requestRenewal(serial: string): void {
    const identity = this.identity;
    const call = this.call;
    if (identity?.serial !== serial || call === undefined || this.connectedTo === undefined) return;
    let key = this.renewalKey;
    if (key === undefined || !this.pendingKeys.has(key.requestId))
      key = this.renewalKey = this.pendingKeys.newKey();
    call.write({ type: 'csr', reason: 'renewal', requestId: key.requestId, csrPem: key.csrPem });
    this.emit('renewalRequested', {
      serial,
      rotateAt: identity.rotateAt,
      renewAt: this.renewal?.renewAt?.toISOString() ?? identity.rotateAt,
      notAfter: identity.notAfter,
    });
  }

  private onEnd(
    call: ClientDuplexStream<DataplaneClientMessage, DataplaneServerMessage>,
    address: string,
    code: number,
    details: string,
    reason?: string,
  ): void {
    if (call !== this.call) return;
    this.call = undefined;
    this.connectedTo = undefined;
    if (this.stopped) return;
    if (reason === 'replaced' || code === GrpcStatus.ABORTED) {
      // Coming straight back would take the identity from the newer one, which would do the same.
      const retryInMs = (this.options.replacedBackoff ?? replacedBackoffDelay)(this.replaced);
      this.emit('replaced', { address, details, times: ++this.replaced, retryInMs });
      this.timer = setTimeout(() => this.connect(), retryInMs);
      return;
    }
    const event = { address, code, details };
    if (reason === 'csr-refused') {
      // The same CSR would be refused again: its key is dropped, the next hello carries a new one.
      this.pendingKeys.clear();
      this.emit('csrRefused', { address, details });
    } else if (FATAL.has(code)) this.emit('refused', event);
    else this.emit('disconnected', event);
    this.next++;
    const delay = (this.options.backoff ?? backoffDelay)(this.attempt++);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
