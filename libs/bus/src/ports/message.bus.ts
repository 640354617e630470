import type { EventContract, RequestContract } from '@meshtls/contracts';

export interface Subscription {
  unsubscribe(): Promise<void>;
}

export interface ServeOptions {
  /** Queue group: each request goes to exactly one member of the group (one replica of a role). */
  readonly queue: string;
}

export interface SubscribeOptions {
  /** With a queue group each event reaches one member of the group; without, every subscriber. */
  readonly queue?: string;
}

/**
 * Request/reply and events, each bound to a contract from `@meshtls/contracts`. Payloads are checked
 * against the contract's schema when sent and when received (`InvalidMessageError`). A handler that
 * throws a `MeshError` makes the requester throw a `RemoteError` with the same `code` and message; no
 * responder or a slow one makes it throw `TimeoutError`.
 */
export interface MessageBus {
  request<Q, R>(contract: RequestContract<Q, R>, payload: Q, options?: { timeoutMs?: number }): Promise<R>;
  serve<Q, R>(
    contract: RequestContract<Q, R>,
    handler: (request: Q) => Promise<R>,
    options: ServeOptions,
  ): Subscription;
  publish<E>(contract: EventContract<E>, payload: E): Promise<void>;
  subscribe<E>(
    contract: EventContract<E>,
    handler: (event: E) => void | Promise<void>,
    options?: SubscribeOptions,
  ): Subscription;
  /**
   * Durable consumption: every event of `contracts` published from now on reaches one member of the
   * group `durable` at least once, also when a member dies before its handler finished (the event then
   * goes to another member, or to the same one when it is back). A handler that throws gets the event
   * again later. Handlers must be idempotent.
   */
  consume(
    contracts: readonly EventContract<unknown>[],
    durable: string,
    handler: (contract: EventContract<unknown>, event: unknown) => Promise<void>,
  ): Promise<Subscription>;
  /**
   * The publisher's side of durable consumption: the events of `contracts` are kept from now on, also
   * before any durable consumer exists, and `publish` of one resolves only once the bus has stored it
   * (asked again while the bus is away, up to a deadline, without storing it twice).
   */
  retain(contracts: readonly EventContract<unknown>[]): Promise<void>;
  close(): Promise<void>;
}
