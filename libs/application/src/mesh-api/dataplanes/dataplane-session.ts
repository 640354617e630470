import { randomUUID } from 'node:crypto';
import {
  outboundServicesOf,
  type DataplaneCaAcks,
  type DataplaneSpec,
  type KeyType,
  type MeshMtlsView,
} from '@meshtls/domain';
import { MeshError } from '@meshtls/util';
import type { Lease } from '@meshtls/store';
import type { DataplaneChannel } from './dataplane-channel.port';

export class CsrTimeoutError extends MeshError {
  readonly code = 'dataplane.csr-timeout';
}

export class SessionClosedError extends MeshError {
  readonly code = 'dataplane.session-closed';
}

/**
 * One connected dataplane on this replica: its stream, what it was last given, and the CSRs it owes.
 * Work on a session (issuing, sending a bundle) runs one piece at a time, in order, so a rotation and a
 * mesh change arriving together never interleave their messages.
 */
export class DataplaneSession {
  /** The lease of the certificate the dataplane holds from this replica, as last written (if any). */
  lease?: Lease;
  closed = false;
  /** Unique per stream (insights list each stream of a dataplane). */
  readonly streamId = randomUUID();
  /** Whether the end of this stream was told. */
  endAnnounced = false;
  /** Digest of the traffic message last sent (or refused), so an unchanged one is not sent again. */
  lastTraffic?: string;
  /** Why the latest traffic message could not be sent (the dataplane keeps the one before), if so. */
  trafficProblem?: string;
  /** What the dataplane has acknowledged of its CAs (what a CA switch waits for). */
  caAcks: DataplaneCaAcks = {};
  /** The last certificate and the last lone trust bundle sent, until acknowledged. */
  private sentIdentity?: { serial: string; backend: string; trusted: readonly string[] };
  private sentBundle?: { id: string; trusted: readonly string[] };
  /** The spec `outboundServicesList` was worked out from. */
  private outboundOf?: DataplaneSpec;
  private outboundServicesList: readonly string[] = NO_SERVICES;
  /** Made on the first CSR asked for: most sessions never ask one (the hello carries it). */
  private csrWaiters?: Map<string, CsrWaiter>;
  /** The last piece of work queued, until it is done (undefined when idle). */
  private queue?: Promise<unknown>;

  constructor(
    readonly mesh: string,
    readonly name: string,
    /** The dataplane process's session id: a new one means it restarted. */
    readonly session: string,
    readonly channel: DataplaneChannel,
    /** Whether the dataplane makes its own keys (sent a CSR) or takes one from the control plane. */
    readonly sendsCsr: boolean,
    public spec: DataplaneSpec,
    /** The mesh's mTLS as last applied to this dataplane. */
    public view: MeshMtlsView,
    /** When the stream was admitted. */
    readonly connectTime: string,
  ) {}

  /** Serial of the certificate the dataplane holds from this replica, if any. */
  get serial(): string | undefined {
    return this.lease?.serial;
  }

  get key(): string {
    return sessionKey(this.mesh, this.name);
  }

  /**
   * The services this dataplane calls, without repeats (worked out once per version of its resource;
   * a plain list: a dataplane calls a handful at most).
   */
  get outboundServices(): readonly string[] {
    if (this.outboundOf !== this.spec) {
      const services = outboundServicesOf(this.spec);
      this.outboundServicesList = services.length === 0 ? NO_SERVICES : services;
      this.outboundOf = this.spec;
    }
    return this.outboundServicesList;
  }

  /** A certificate went out with the trust bundle of `trusted`: acknowledged by its serial. */
  identitySent(serial: string, backend: string, trusted: readonly string[]): void {
    this.sentIdentity = { serial, backend, trusted };
  }

  /** A trust bundle went out alone: acknowledged by its id. */
  bundleSent(id: string, trusted: readonly string[]): void {
    this.sentBundle = { id, trusted };
  }

  /**
   * The dataplane acknowledged a certificate (by serial) or a bundle (by id): returns whether what it
   * holds changed. An acknowledgement of anything not last sent changes nothing.
   */
  acknowledged(ack: { serial: string; bundle?: string }): boolean {
    const identity = this.sentIdentity;
    if (identity !== undefined && ack.serial === identity.serial && ack.bundle === undefined) {
      this.sentIdentity = undefined;
      this.caAcks = { trusted: identity.trusted, certBackend: identity.backend };
      return true;
    }
    const bundle = this.sentBundle;
    if (bundle !== undefined && ack.bundle === bundle.id) {
      this.sentBundle = undefined;
      this.caAcks = { ...this.caAcks, trusted: bundle.trusted };
      return true;
    }
    return false;
  }

  /** Runs `work` after everything queued before it; a failure does not stop later work. */
  serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = (this.queue ?? Promise.resolve()).then(work, work);
    const settled: Promise<unknown> = next.then(
      () => this.idle(settled),
      () => this.idle(settled),
    );
    this.queue = settled;
    return next;
  }

  /** Nothing queued after `last`: the session holds no promise while idle. */
  private idle(last: Promise<unknown>): void {
    if (this.queue === last) this.queue = undefined;
  }

  /** Asks the dataplane for a CSR from a fresh key and waits for it; `requestId` names that key. */
  async requestCsr(
    reason: string,
    keyType: KeyType,
    timeoutMs: number,
  ): Promise<{ csrPem: string; requestId: string }> {
    if (this.closed) throw new SessionClosedError(`stream of ${this.key} is closed`);
    const requestId = randomUUID();
    const csr = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forgetCsr(requestId);
        reject(new CsrTimeoutError(`${this.key} sent no CSR within ${timeoutMs} ms`));
      }, timeoutMs);
      (this.csrWaiters ??= new Map()).set(requestId, { resolve, reject, timer });
    });
    this.channel.send({ type: 'csr-request', requestId, reason, keyType });
    return { csrPem: await csr, requestId };
  }

  /** A CSR arrived; false when nobody asked for it (late or unknown request id). */
  receiveCsr(requestId: string, csrPem: string): boolean {
    const waiter = this.csrWaiters?.get(requestId);
    if (!waiter) return false;
    clearTimeout(waiter.timer);
    this.forgetCsr(requestId);
    waiter.resolve(csrPem);
    return true;
  }

  /** No CSR asked for any more: the table goes until the next one. */
  private forgetCsr(requestId: string): void {
    this.csrWaiters?.delete(requestId);
    if (this.csrWaiters?.size === 0) this.csrWaiters = undefined;
  }

  /** The stream ended: pending CSR requests fail at once. */
  markClosed(): void {
    this.closed = true;
    if (!this.csrWaiters) return;
    for (const [id, waiter] of this.csrWaiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new SessionClosedError(`stream of ${this.key} closed`));
      this.csrWaiters.delete(id);
    }
    this.csrWaiters = undefined;
  }
}

interface CsrWaiter {
  readonly resolve: (csr: string) => void;
  readonly reject: (e: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

const NO_SERVICES: readonly string[] = Object.freeze([]);

export function sessionKey(mesh: string, name: string): string {
  return `${mesh}/${name}`;
}
