import { ErrorCode, type Msg, type NatsConnection, type NatsError, type Subscription as NatsSub } from 'nats';
import type { EventContract, RequestContract } from '@meshtls/contracts';
import { TimeoutError, type RejectionObserver } from '@meshtls/util';
import type { MessageBus, ServeOptions, SubscribeOptions, Subscription } from '../ports/message.bus';
import {
  answerRequest,
  type BusErrorHandler,
  deliverEvent,
  encodeEvent,
  encodeRequest,
  readReply,
} from './bus-envelope';
import { connectNats, type ConnectNatsOptions } from './nats-connection';
import { NatsEventStream } from './nats-event.stream';

export interface NatsBusOptions {
  /** Told about handler errors that are not MeshErrors and about events that fail their schema. */
  readonly onHandlerError?: BusErrorHandler;
  /**
   * Told of every event of the event stream that fails its schema (it is skipped: never redelivered, never
   * handled), keyed by subject; and of the subject settled once a valid event of it has been handled.
   */
  readonly rejections?: RejectionObserver;
  /** The JetStream stream keeping events for durable consumers (`consume`). */
  readonly eventStream?: {
    readonly name?: string;
    readonly replicas?: number;
    readonly maxAgeMs?: number;
    /** The most the stream keeps on disk; the oldest events go first beyond it (default 256 MiB). */
    readonly maxBytes?: number;
    /** How long a member may hold an event before it goes to another (default 30 s). */
    readonly ackWaitMs?: number;
    /** How long a retained event's publish is retried while JetStream does not store it (default 30 s: a stream leader elected twice, as the store waits for its writes). */
    readonly publishRetryMs?: number;
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The bus of distributed mode, on NATS core: requests with `request()` to subscribers in a queue group
 * (one replica answers each), events with publish/subscribe. The wire format is bus-envelope.ts's.
 */
export class NatsBus implements MessageBus {
  private readonly subs = new Set<NatsSub>();
  /** Replies made in this turn of the event loop, sent together at its end (see `reply`). */
  private replies: { msg: Msg; data: Uint8Array; subject: string }[] = [];
  /** The event stream, its durable consumers and the retained subjects. */
  private readonly events: NatsEventStream;

  /**
   * Uses `nc`; `ownsConnection` makes close() drain and close it (as `NatsBus.connect` does), otherwise
   * close() only ends this bus's subscriptions and leaves the shared connection to its owner.
   */
  constructor(
    readonly nc: NatsConnection,
    private readonly options: NatsBusOptions = {},
    private readonly ownsConnection = false,
  ) {
    this.events = new NatsEventStream(nc, options);
  }

  /** A bus on a connection of its own, closed with the bus. */
  static async connect(options: ConnectNatsOptions & NatsBusOptions): Promise<NatsBus> {
    return new NatsBus(await connectNats(options), options, true);
  }

  async request<Q, R>(
    contract: RequestContract<Q, R>,
    payload: Q,
    options?: { timeoutMs?: number },
  ): Promise<R> {
    const data = encoder.encode(encodeRequest(contract, payload));
    const timeoutMs = options?.timeoutMs ?? contract.timeoutMs;
    let reply: Msg;
    try {
      reply = await this.nc.request(contract.subject, data, { timeout: timeoutMs });
    } catch (err) {
      const code = (err as NatsError | undefined)?.code;
      if (code === ErrorCode.NoResponders) throw new TimeoutError(`no responder for ${contract.subject}`);
      if (code === ErrorCode.Timeout) {
        throw new TimeoutError(`no reply to ${contract.subject} within ${timeoutMs} ms`);
      }
      throw err;
    }
    return readReply(contract, decoder.decode(reply.data));
  }

  serve<Q, R>(
    contract: RequestContract<Q, R>,
    handler: (request: Q) => Promise<R>,
    options: ServeOptions,
  ): Subscription {
    return this.track(
      this.nc.subscribe(contract.subject, {
        queue: options.queue,
        callback: (err, msg) => {
          if (err !== null || msg.reply === undefined) return;
          void answerRequest(contract, handler, decoder.decode(msg.data), this.options.onHandlerError).then(
            (envelope) => this.reply(msg, encoder.encode(envelope), contract.subject),
          );
        },
      }),
    );
  }

  async publish<E>(contract: EventContract<E>, payload: E): Promise<void> {
    const data = encoder.encode(encodeEvent(contract, payload));
    if (!this.events.isRetained(contract.subject)) {
      this.nc.publish(contract.subject, data);
      return;
    }
    await this.events.publish(contract.subject, data);
  }

  subscribe<E>(
    contract: EventContract<E>,
    handler: (event: E) => void | Promise<void>,
    options?: SubscribeOptions,
  ): Subscription {
    return this.track(
      this.nc.subscribe(contract.subject, {
        ...(options?.queue === undefined ? {} : { queue: options.queue }),
        callback: (err, msg) => {
          if (err !== null) return;
          void deliverEvent(contract, handler, decoder.decode(msg.data), this.options.onHandlerError);
        },
      }),
    );
  }

  /** Waits until the server has seen everything sent so far (subscriptions included). */
  flush(): Promise<void> {
    return this.nc.flush();
  }

  async close(): Promise<void> {
    // Stopped, not awaited: a handler still working keeps its event unacknowledged (it comes again).
    this.events.stop();
    if (this.ownsConnection) {
      if (!this.nc.isClosed()) await this.nc.drain();
      return;
    }
    await Promise.all([...this.subs].map((sub) => drain(sub)));
    this.subs.clear();
  }

  /** Durable consumers of the event stream, one per contract (see `NatsEventStream.consume`). */
  consume(
    contracts: readonly EventContract<unknown>[],
    durable: string,
    handler: (contract: EventContract<unknown>, event: unknown) => Promise<void>,
  ): Promise<Subscription> {
    return this.events.consume(contracts, durable, handler);
  }

  /** Keeps `contracts`' events in the event stream from now on (see `NatsEventStream`). */
  retain(contracts: readonly EventContract<unknown>[]): Promise<void> {
    return this.events.retain(contracts);
  }

  /**
   * Sends a reply with the others made in the same turn of the event loop: handlers that end on the
   * thread pool (an RSA signature) finish one callback at a time, and each reply sent at once would be a
   * socket write of its own, then a read and a write in NATS and a read in the requester. Held until the
   * loop's check phase (setImmediate, no timer: a reply waits at most for the rest of the turn), they
   * leave as one write.
   */
  private reply(msg: Msg, data: Uint8Array, subject: string): void {
    this.replies.push({ msg, data, subject });
    if (this.replies.length === 1) setImmediate(() => this.sendReplies());
  }

  private sendReplies(): void {
    const batch = this.replies;
    this.replies = [];
    for (const { msg, data, subject } of batch) {
      try {
        msg.respond(data);
      } catch (error) {
        // A closed connection: the requester times out, as it would had the reply been lost.
        this.options.onHandlerError?.(error, subject);
      }
    }
  }

  private track(sub: NatsSub): Subscription {
    this.subs.add(sub);
    return {
      unsubscribe: async () => {
        this.subs.delete(sub);
        await drain(sub);
      },
    };
  }
}

/** Lets in-flight handlers finish; a subscription of a closed connection is already gone. */
async function drain(sub: NatsSub): Promise<void> {
  if (sub.isClosed()) return;
  try {
    await sub.drain();
  } catch {
    sub.unsubscribe();
  }
}
