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

type WireHandler = (wire: string) => Promise<string | void>;

/** Members of one queue group on one subject, served in turn. */
class QueueGroup {
  readonly members: WireHandler[] = [];
  private next = 0;

  pick(): WireHandler | undefined {
    if (this.members.length === 0) return undefined;
    const member = this.members[this.next % this.members.length];
    this.next = (this.next + 1) % this.members.length;
    return member;
  }
}

/** Everyone listening on one subject: plain subscribers get every message, each queue group one copy. */
class SubjectListeners {
  readonly plain = new Set<WireHandler>();
  readonly groups = new Map<string, QueueGroup>();

  targets(): WireHandler[] {
    const targets = [...this.plain];
    for (const group of this.groups.values()) {
      const member = group.pick();
      if (member !== undefined) targets.push(member);
    }
    return targets;
  }
}

export interface InProcessBusOptions {
  readonly onHandlerError?: BusErrorHandler;
}

/**
 * The bus of standalone mode: the same semantics as NatsBus inside one process. Messages are JSON text
 * as on the wire (so no object is shared between sender and handler) and checked on both sides; each
 * queue group gets one copy, handed to its members round robin; handlers run asynchronously, never
 * inside the sender's call. A request to a subject nobody serves fails at once with TimeoutError, as
 * NATS's no-responders reply does.
 */
export class InProcessBus implements MessageBus {
  private readonly subjects = new Map<string, SubjectListeners>();

  constructor(private readonly options: InProcessBusOptions = {}) {}

  async request<Q, R>(
    contract: RequestContract<Q, R>,
    payload: Q,
    options?: { timeoutMs?: number },
  ): Promise<R> {
    const wire = encodeRequest(contract, payload);
    const targets = this.subjects.get(contract.subject)?.targets() ?? [];
    if (targets.length === 0) throw new TimeoutError(`no responder for ${contract.subject}`);
    const timeoutMs = options?.timeoutMs ?? contract.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(`no reply to ${contract.subject} within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    const replies = targets.map((target) => later(() => target(wire)).then((r) => r as string));
    try {
      return readReply(contract, await Promise.race([...replies, deadline]));
    } finally {
      clearTimeout(timer);
    }
  }

  serve<Q, R>(
    contract: RequestContract<Q, R>,
    handler: (request: Q) => Promise<R>,
    options: ServeOptions,
  ): Subscription {
    return this.add(contract.subject, options.queue, (wire) =>
      answerRequest(contract, handler, wire, this.options.onHandlerError),
    );
  }

  async publish<E>(contract: EventContract<E>, payload: E): Promise<void> {
    const wire = encodeEvent(contract, payload);
    for (const target of this.subjects.get(contract.subject)?.targets() ?? []) {
      void later(() => target(wire));
    }
  }

  subscribe<E>(
    contract: EventContract<E>,
    handler: (event: E) => void | Promise<void>,
    options?: SubscribeOptions,
  ): Subscription {
    return this.add(contract.subject, options?.queue, (wire) =>
      deliverEvent(contract, handler, wire, this.options.onHandlerError),
    );
  }

  /**
   * In one process there is no member to fail over to: events go to the group like a queue
   * subscription, and a handler that throws gets the event again (after 1 s, up to 5 times).
   */
  async consume(
    contracts: readonly EventContract<unknown>[],
    durable: string,
    handler: (contract: EventContract<unknown>, event: unknown) => Promise<void>,
  ): Promise<Subscription> {
    const subs = contracts.map((contract) =>
      this.add(contract.subject, durable, (wire) =>
        deliverEvent(
          contract,
          (event) => retried(() => handler(contract, event)),
          wire,
          this.options.onHandlerError,
        ),
      ),
    );
    return { unsubscribe: async () => void (await Promise.all(subs.map((s) => s.unsubscribe()))) };
  }

  /** In one process there is nothing to keep events in beyond its life: consumers get them as published. */
  async retain(): Promise<void> {}

  async close(): Promise<void> {
    this.subjects.clear();
  }

  private add(subject: string, queue: string | undefined, handler: WireHandler): Subscription {
    let listeners = this.subjects.get(subject);
    if (listeners === undefined) this.subjects.set(subject, (listeners = new SubjectListeners()));
    const entry: WireHandler = (wire) => handler(wire);
    if (queue === undefined) {
      listeners.plain.add(entry);
    } else {
      let group = listeners.groups.get(queue);
      if (group === undefined) listeners.groups.set(queue, (group = new QueueGroup()));
      group.members.push(entry);
    }
    const owner = listeners;
    return {
      unsubscribe: async () => {
        owner.plain.delete(entry);
        for (const [name, group] of owner.groups) {
          const index = group.members.indexOf(entry);
          if (index >= 0) group.members.splice(index, 1);
          if (group.members.length === 0) owner.groups.delete(name);
        }
      },
    };
  }
}

/** Runs `fn` on a later turn of the event loop, as a message from the network would arrive. */
function later<T>(fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => setImmediate(() => fn().then(resolve, reject)));
}

async function retried(work: () => Promise<void>, attempts = 6, delayMs = 1_000): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
