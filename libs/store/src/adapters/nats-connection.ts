import { connect, type NatsConnection } from 'nats';

export interface ConnectNatsOptions {
  /** One URL or several (any member of a cluster), e.g. `nats://127.0.0.1:4222`. */
  readonly servers: string | readonly string[];
  /** Shown by the server for this client, e.g. `ca-signer-1`. */
  readonly name: string;
  /** Keep trying when no server answers at start (default false: fail fast so a bad URL is seen). */
  readonly waitOnFirstConnect?: boolean;
  /** Pause between reconnect attempts (default 500 ms; the client adds jitter). */
  readonly reconnectTimeWaitMs?: number;
}

/**
 * The one NATS connection a process shares between its stores and its bus. Once connected it reconnects
 * forever: a control plane must ride out a NATS restart or the loss of one cluster member, never give up.
 */
export function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  return connect({
    servers: typeof options.servers === 'string' ? options.servers : [...options.servers],
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 500,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
    // nats.js otherwise builds an Error (a stack trace) per request, for async traces: measurable CPU on
    // the issuance hot path of a replica serving thousands of dataplanes.
    noAsyncTraces: true,
  });
}
