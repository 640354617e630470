import { createClient } from 'redis';
import { CredentialsRefusedError } from './credentials-refused.error';
import type { Clock } from '@meshtls/util';
import type { Lease, LeaseStore } from '../ports/lease.store';

export interface RedisLeaseStoreOptions {
  /** e.g. `redis://127.0.0.1:6379`. */
  readonly url: string;
  /** Prepended to every key, so several deployments (or test runs) can share one Redis. */
  readonly keyPrefix?: string;
  /** ACL user and password (Redis 6+); a password alone authenticates as the `default` user. */
  readonly username?: string;
  readonly password?: string;
  readonly clock: Clock;
  /** Told about connection errors; the client keeps reconnecting on its own. */
  readonly onError?: (error: Error) => void;
}

type Client = ReturnType<typeof createClient>;

/** Redis's answers to credentials it does not accept. */
const AUTH_REFUSED = /WRONGPASS|NOAUTH|NOPERM|invalid username-password/i;

/** Removes a due-set member only if its lease is gone, so a lease put meanwhile is not lost from the set. */
const REMOVE_IF_GONE = `if redis.call('EXISTS', KEYS[1]) == 0 then return redis.call('ZREM', KEYS[2], ARGV[1]) end return 0`;

/**
 * Deletes a lease and its due-set member only while the lease names serial ARGV[1]: in one script, so a
 * lease put between the check and the delete (a reconnect elsewhere) cannot be lost.
 */
const DELETE_IF_SERIAL = `local raw = redis.call('GET', KEYS[1])
if not raw or cjson.decode(raw).serial ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1`;

/** Moves a lease's due-set score to ARGV[3] while the lease still names serial ARGV[1]. */
const POSTPONE_IF_SERIAL = `local raw = redis.call('GET', KEYS[1])
if not raw or cjson.decode(raw).serial ~= ARGV[1] then return 0 end
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[2])
return 1`;

/**
 * Leases in Redis, shared by every replica of the control plane:
 *
 * - `<prefix>lease:<mesh>:<dataplane>`: the lease as JSON, expiring (PEXPIREAT) at its `notAfter`;
 * - `<prefix>due`: a sorted set of `<mesh>:<dataplane>` scored by `rotateAt` (ms), for listDue;
 * - `<prefix>claim:<mesh>:<dataplane>:<serial>`: a claim, `SET NX PX`, so one scheduler rotates a serial.
 *
 * Mesh, dataplane and serial are URI-component encoded, so a `:` in a name cannot make two keys collide.
 * Members of the due set whose lease has expired are removed lazily by listDue. The injected clock also
 * hides leases past `notAfter`, as the memory store does, so both behave alike under a test clock.
 */
export class RedisLeaseStore implements LeaseStore {
  private constructor(
    private readonly client: Client,
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {}

  static async connect(options: RedisLeaseStoreOptions): Promise<RedisLeaseStore> {
    const client: Client = createClient({
      // Refused credentials do not get better by reconnecting: connect() fails with the reason instead.
      // Anything else is retried as the client does by default (doubling from 50 ms to 2 s, with jitter).
      socket: {
        reconnectStrategy: (retries: number, cause: Error) =>
          AUTH_REFUSED.test(cause?.message ?? '')
            ? new CredentialsRefusedError('redis', cause.message, { cause })
            : Math.min(2 ** retries * 50, 2000) + Math.floor(Math.random() * 200),
      },
      url: options.url,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
    });
    // Without a listener an 'error' event would crash the process; the client reconnects by itself.
    client.on('error', (err: Error) => options.onError?.(err));
    await client.connect().catch((error: unknown) => {
      // The client wraps what the strategy returned (a ReconnectStrategyError): give the refusal itself.
      const refusal = (error as { originalError?: unknown })?.originalError;
      throw refusal instanceof CredentialsRefusedError ? refusal : error;
    });
    return new RedisLeaseStore(client, options.keyPrefix ?? 'meshtls:', options.clock);
  }

  async put(lease: Lease): Promise<void> {
    const member = memberOf(lease.mesh, lease.dataplane);
    await this.client
      .multi()
      .set(this.leaseKey(member), JSON.stringify(lease), {
        expiration: { type: 'PXAT', value: Date.parse(lease.notAfter) },
      })
      .zAdd(this.dueKey, { score: Date.parse(lease.rotateAt), value: member })
      .exec();
  }

  async get(mesh: string, dataplane: string): Promise<Lease | undefined> {
    const raw = await this.client.get(this.leaseKey(memberOf(mesh, dataplane)));
    return this.parseLive(raw);
  }

  async delete(mesh: string, dataplane: string): Promise<void> {
    const member = memberOf(mesh, dataplane);
    await this.client.multi().del(this.leaseKey(member)).zRem(this.dueKey, member).exec();
  }

  async deleteIf(mesh: string, dataplane: string, serial: string): Promise<boolean> {
    const member = memberOf(mesh, dataplane);
    const deleted = await this.client.eval(DELETE_IF_SERIAL, {
      keys: [this.leaseKey(member), this.dueKey],
      arguments: [serial, member],
    });
    return deleted === 1;
  }

  async postpone(mesh: string, dataplane: string, serial: string, until: Date): Promise<boolean> {
    const member = memberOf(mesh, dataplane);
    const moved = await this.client.eval(POSTPONE_IF_SERIAL, {
      keys: [this.leaseKey(member), this.dueKey],
      arguments: [serial, member, String(until.getTime())],
    });
    return moved === 1;
  }

  async listDue(now: Date, limit: number): Promise<Lease[]> {
    const due: Lease[] = [];
    const gone: string[] = [];
    const batch = Math.max(limit, 100);
    for (let offset = 0; due.length < limit; offset += batch) {
      const members = await this.client.zRange(this.dueKey, '-inf', now.getTime(), {
        BY: 'SCORE',
        LIMIT: { offset, count: batch },
      });
      if (members.length === 0) break;
      const values = await this.client.mGet(members.map((m) => this.leaseKey(m)));
      values.forEach((raw, i) => {
        if (raw === null) gone.push(members[i]!);
        const lease = this.parseLive(raw);
        // The lease is read after its due-set score: one replaced in between (a reconnect, a rotation
        // by another replica) carries a later rotateAt and is not due yet.
        const stillDue = lease !== undefined && Date.parse(lease.rotateAt) <= now.getTime();
        if (stillDue && due.length < limit) due.push(lease);
      });
      if (members.length < batch) break;
    }
    // After the scan, so removals do not shift the pages being read.
    for (const member of gone) {
      await this.client.eval(REMOVE_IF_GONE, {
        keys: [this.leaseKey(member), this.dueKey],
        arguments: [member],
      });
    }
    return due;
  }

  async claim(
    mesh: string,
    dataplane: string,
    serial: string,
    claimer: string,
    ttlMs: number,
  ): Promise<boolean> {
    const key = `${this.prefix}claim:${memberOf(mesh, dataplane)}:${encodeURIComponent(serial)}`;
    const reply = await this.client.set(key, claimer, {
      condition: 'NX',
      expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) },
    });
    return reply === 'OK';
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close();
  }

  private get dueKey(): string {
    return `${this.prefix}due`;
  }

  private leaseKey(member: string): string {
    return `${this.prefix}lease:${member}`;
  }

  private parseLive(raw: string | null): Lease | undefined {
    if (raw === null) return undefined;
    const lease = JSON.parse(raw) as Lease;
    return Date.parse(lease.notAfter) <= this.clock.now().getTime() ? undefined : lease;
  }
}

function memberOf(mesh: string, dataplane: string): string {
  return `${encodeURIComponent(mesh)}:${encodeURIComponent(dataplane)}`;
}
