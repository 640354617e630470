import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  StorageType,
  nanos,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import type { EventContract } from '@meshtls/contracts';
import type { Subscription } from '../ports/message.bus';
import { decodeEvent } from './bus-envelope';
import type { NatsBusOptions } from './nats.bus';
import { retryWithBackoff } from '@meshtls/util';

/** How long an event may wait for a durable consumer, and how long one may take before it is redelivered. */
const EVENT_MAX_AGE_MS = 3_600_000;
/** Bounds the stream when events come faster than max_age lets them go (a reconnect storm). */
const EVENT_MAX_BYTES = 256 * 1024 * 1024;
const ACK_WAIT_MS = 30_000;
const RETRY_DELAY_MS = 1_000;
const PUBLISH_RETRY_MS = 30_000;

const decoder = new TextDecoder();

/**
 * The JetStream side of the NATS bus: the stream keeping events (created or extended here), the durable
 * consumers reading it, and the retained subjects, published with JetStream's acknowledgement.
 */
export class NatsEventStream {
  /** Durable consumers running, stopped before the connection goes. */
  private readonly consumers = new Set<ConsumerMessages>();
  /** Subjects kept in the event stream: published with JetStream's acknowledgement. */
  private readonly retained = new Set<string>();
  /** Subjects of the event stream with a rejected event and no valid one handled since. */
  private readonly rejectedSubjects = new Set<string>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsBusOptions,
  ) {}

  /** Whether `subject` is kept in the event stream (see `retain`). */
  isRetained(subject: string): boolean {
    return this.retained.has(subject);
  }

  /** Publishes an event of a retained subject, retried until JetStream acknowledges it or time runs out. */
  async publish(subject: string, data: Uint8Array): Promise<void> {
    // One id across attempts: JetStream stores an event asked again after a lost acknowledgement once.
    const msgID = randomUUID();
    const deadline = Date.now() + (this.options.eventStream?.publishRetryMs ?? PUBLISH_RETRY_MS);
    const js = this.nc.jetstream();
    await retryWithBackoff(() => js.publish(subject, data, { msgID, timeout: 2_000 }), {
      policy: { baseMs: 100, capMs: 1_000 },
      deadline,
      retryable: () => true,
    });
  }

  /** Stops the durable consumers. */
  stop(): void {
    for (const m of this.consumers) m.stop();
    this.consumers.clear();
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
}
