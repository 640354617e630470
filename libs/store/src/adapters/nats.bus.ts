import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  ErrorCode,
  StorageType,
  nanos,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type Msg,
  type NatsConnection,
  type NatsError,
  type Subscription as NatsSub,
} from 'nats';
import type { EventContract, RequestContract } from '@meshtls/contracts';
import { TimeoutError } from '@meshtls/util';
import type { MessageBus, ServeOptions, SubscribeOptions, Subscription } from '../ports/message.bus';
import type { RejectionObserver } from '../ports/rejected-values';
import {
  answerRequest,
  decodeEvent,
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
    /** How long a retained event's publish is retried while JetStream does not store it (default 15 s). */
    readonly publishRetryMs?: number;
  };
}

/** How long an event may wait for a durable consumer, and how long one may take before it is redelivered. */
const EVENT_MAX_AGE_MS = 3_600_000;
/** Bounds the stream when events come faster than max_age lets them go (a reconnect storm). */
const EVENT_MAX_BYTES = 256 * 1024 * 1024;
const ACK_WAIT_MS = 30_000;
const RETRY_DELAY_MS = 1_000;
const PUBLISH_RETRY_MS = 15_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The bus of distributed mode, on NATS core: requests with `request()` to subscribers in a queue group
 * (one replica answers each), events with publish/subscribe. The wire format is bus-envelope.ts's.
 */
export class NatsBus implements MessageBus {
  private readonly subs = new Set<NatsSub>();
  /** Durable consumers running, stopped before the connection goes. */
  private readonly consumers = new Set<ConsumerMessages>();
  /** Subjects kept in the event stream: published with JetStream's acknowledgement. */
  private readonly retained = new Set<string>();
  /** Subjects of the event stream with a rejected event and no valid one handled since. */
  private readonly rejectedSubjects = new Set<string>();

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
    const data = encoder.encode(encodeEvent(contract, payload));
    if (!this.retained.has(contract.subject)) {
      this.nc.publish(contract.subject, data);
      return;
    }
    // One id across attempts: JetStream stores an event asked again after a lost acknowledgement once.
    const msgID = randomUUID();
    const deadline = Date.now() + (this.options.eventStream?.publishRetryMs ?? PUBLISH_RETRY_MS);
    const js = this.nc.jetstream();
    for (let attempt = 0; ; attempt++) {
      try {
        await js.publish(contract.subject, data, { msgID, timeout: 2_000 });
        return;
      } catch (error) {
        const wait = Math.min(100 * 2 ** attempt, 1_000);
        if (Date.now() + wait > deadline) throw error;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
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
    for (const m of this.consumers) m.stop();
    this.consumers.clear();
    if (this.ownsConnection) {
      if (!this.nc.isClosed()) await this.nc.drain();
      return;
    }
    await Promise.all([...this.subs].map((sub) => drain(sub)));
    this.subs.clear();
  }

  /**
   * JetStream: the events' subjects are kept in a stream (created or extended here), and each contract
   * has a durable pull consumer `{durable}_{subject}` shared by every member of the group. An event is
   * acknowledged once its handler resolved; one whose handler threw, or whose member died, comes again
   * (after 1 s, or after the 30 s acknowledgement deadline).
   */
  async consume(
    contracts: readonly EventContract<unknown>[],
    durable: string,
    handler: (contract: EventContract<unknown>, event: unknown) => Promise<void>,
  ): Promise<Subscription> {
    const { stream, jsm } = await this.ensureEventStream(contracts.map((c) => c.subject));
    const js = this.nc.jetstream();
    const running: ConsumerMessages[] = [];
    for (const contract of contracts) {
      const name = `${durable}_${contract.subject.replace(/[.*>]/g, '_')}`;
      await jsm.consumers.add(stream, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(this.options.eventStream?.ackWaitMs ?? ACK_WAIT_MS),
        deliver_policy: DeliverPolicy.All,
        filter_subject: contract.subject,
      });
      const messages = await (await js.consumers.get(stream, name)).consume({ max_messages: 64 });
      running.push(messages);
      this.consumers.add(messages);
      void (async () => {
        for await (const m of messages) await this.consumeOne(contract, m, handler);
      })();
    }
    return {
      unsubscribe: async () => {
        for (const m of running) {
          this.consumers.delete(m);
          m.stop();
        }
      },
    };
  }

  /**
   * One event of the stream: decoded and checked, handled, acknowledged. One that fails its schema never
   * becomes valid, so it is terminated (not redelivered) and reported; a handler that threw gets it again.
   */
  private async consumeOne(
    contract: EventContract<unknown>,
    m: JsMsg,
    handler: (contract: EventContract<unknown>, event: unknown) => Promise<void>,
  ): Promise<void> {
    let event: unknown;
    try {
      event = decodeEvent(contract, decoder.decode(m.data));
    } catch (error) {
      this.options.onHandlerError?.(error, contract.subject);
      m.term();
      this.rejectedSubjects.add(contract.subject);
      this.options.rejections?.rejected({
        source: 'stream',
        key: contract.subject,
        type: contract.subject,
        reason: `event ${m.seq} of the stream skipped: ${(error as Error).message}`,
      });
      return;
    }
    try {
      await handler(contract, event);
      m.ack();
      if (this.rejectedSubjects.delete(contract.subject)) {
        this.options.rejections?.settled('stream', contract.subject);
      }
    } catch (error) {
      this.options.onHandlerError?.(error, contract.subject);
      m.nak(RETRY_DELAY_MS);
    }
  }

  async retain(contracts: readonly EventContract<unknown>[]): Promise<void> {
    const subjects = contracts.map((c) => c.subject);
    await this.ensureEventStream(subjects);
    for (const s of subjects) this.retained.add(s);
  }

  /** The event stream, created or extended to hold `subjects`. */
  private async ensureEventStream(subjects: string[]): Promise<{ stream: string; jsm: JetStreamManager }> {
    const stream = this.options.eventStream?.name ?? 'MESH_EVENTS';
    const jsm = await this.nc.jetstreamManager();
    const config = {
      name: stream,
      subjects,
      storage: StorageType.File,
      num_replicas: this.options.eventStream?.replicas ?? 1,
      max_age: nanos(this.options.eventStream?.maxAgeMs ?? EVENT_MAX_AGE_MS),
      max_bytes: this.options.eventStream?.maxBytes ?? EVENT_MAX_BYTES,
      discard: DiscardPolicy.Old,
    };
    let existing = await jsm.streams.info(stream).catch(() => undefined);
    if (!existing) {
      try {
        await jsm.streams.add(config);
        return { stream, jsm };
      } catch (error) {
        // Another process (a publisher and a consumer start together) created it first.
        existing = await jsm.streams.info(stream).catch(() => undefined);
        if (!existing) throw error;
      }
    }
    // Also bounds a stream made before the size limit existed.
    const missing = subjects.some((s) => !existing.config.subjects.includes(s));
    if (missing || existing.config.max_bytes !== config.max_bytes) {
      await jsm.streams.update(stream, {
        ...existing.config,
        subjects: [...new Set([...existing.config.subjects, ...subjects])],
        max_bytes: config.max_bytes,
        discard: config.discard,
      });
    }
    return { stream, jsm };
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
