import type { NatsConnection } from 'nats';
import type { Clock, RejectionObserver } from '@meshtls/util';
import type { StoredSpecCheck } from '../ports/rejected-values';

/** What `NatsKvResourceStore.connect` (nats-kv-resource.store.ts) is given: the bucket and its checks. */
export interface NatsKvResourceStoreOptions {
  /** A connection from `connectNats`; the store does not close it. */
  readonly nc: NatsConnection;
  /** KV bucket name, e.g. `meshtls-resources`; created when missing. */
  readonly bucket: string;
  /** JetStream replicas of the bucket (1 on a single server, 3 on a three-node cluster). */
  readonly replicas?: number;
  readonly clock: Clock;
  /** Deadline of each JetStream call (default 5000 ms). */
  readonly requestTimeoutMs?: number;
  /**
   * How long a write is retried while JetStream cannot take it (default 30000 ms): a stream leader being
   * elected after a node died, NATS restarting, the connection moving to another node. JetStream's raft
   * notices a dead leader and elects another within 4–9 s, and a split vote starts another round; a client
   * still connected to the dead node first waits out one `requestTimeoutMs`. 30 s covers two rounds after a
   * timeout. An attempt started just before this deadline may still take up to `requestTimeoutMs` to fail.
   */
  readonly writeRetryMs?: number;
  /**
   * Checks each spec read from the bucket (`storedSpecViolations` of `@meshtls/domain`); without it only
   * the value's envelope is checked. A value that fails either is skipped: its key reads as absent.
   */
  readonly checkSpec?: StoredSpecCheck;
  /** Told of every value skipped, and of its key once it is written or deleted again. */
  readonly rejections?: RejectionObserver;
}
