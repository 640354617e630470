import { ErrorCode, type Msg, type NatsConnection, type NatsError, type Subscription as NatsSub } from 'nats';
import type { EventContract, RequestContract } from '@meshtls/contracts';
import { TimeoutError } from '@meshtls/util';
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

export interface NatsBusOptions {
  /** Told about handler errors that are not MeshErrors and about events that fail their schema. */
  readonly onHandlerError?: BusErrorHandler;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The bus of distributed mode, on NATS core: requests with `request()` to subscribers in a queue group
 * (one replica answers each), events with publish/subscribe. The wire format is bus-envelope.ts's.
 */
export class NatsBus implements MessageBus {
  private readonly subs = new Set<NatsSub>();

  /**
   * Uses `nc`; `ownsConnection` makes close() drain and close it (as `NatsBus.connect` does), otherwise
   * close() only ends this bus's subscriptions and leaves the shared connection to its owner.
   */
  constructor(
    readonly nc: NatsConnection,
    private readonly options: NatsBusOptions = {},
    private readonly ownsConnection = false,
  ) {}

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
            (envelope) => msg.respond(encoder.encode(envelope)),
          );
        },
      }),
    );
  }

  async publish<E>(contract: EventContract<E>, payload: E): Promise<void> {
    this.nc.publish(contract.subject, encoder.encode(encodeEvent(contract, payload)));
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
    if (this.ownsConnection) {
      if (!this.nc.isClosed()) await this.nc.drain();
      return;
    }
    await Promise.all([...this.subs].map((sub) => drain(sub)));
    this.subs.clear();
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
