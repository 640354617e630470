import { createClient } from 'redis';
import { backoffDelay, CredentialsRefusedError, type Clock, type RejectionObserver } from '@meshtls/util';
import type { Lease, LeaseStore } from '../ports/lease.store';
import { decodeLease } from './lease.codec';

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
  /** Told of every lease that does not decode (it is skipped), and of its key once it is fixed or gone. */
  readonly rejections?: RejectionObserver;
}

type Client = ReturnType<typeof createClient>;

/** Redis's answers to credentials it does not accept. */
const AUTH_REFUSED = /WRONGPASS|NOAUTH|NOPERM|invalid username-password/i;

/** Removes a due-set member only if its lease is gone, so a lease put meanwhile is not lost from the set. */
const REMOVE_IF_GONE = `if redis.call('EXISTS', KEYS[1]) == 0 then return redis.call('ZREM', KEYS[2], ARGV[1]) end return 0`;

/**
 * Removes a due-set member whose lease does not decode, only while the lease still holds that same value
 * (ARGV[2]): a valid lease put meanwhile keeps its place in the set.
 */
const REMOVE_IF_UNCHANGED = `if redis.call('GET', KEYS[1]) == ARGV[2] then return redis.call('ZREM', KEYS[2], ARGV[1]) end return 0`;

/** The serial of the lease in KEYS[1], or false when there is none or it is not a JSON object. */
const SERIAL_OF = `local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local ok, lease = pcall(cjson.decode, raw)
if not ok or type(lease) ~= 'table' then return false end
return lease.serial`;

/**
 * Deletes a lease and its due-set member only while the lease names serial ARGV[1]: in one script, so a
 * lease put between the check and the delete (a reconnect elsewhere) cannot be lost.
 */
const DELETE_IF_SERIAL = `local function serial() ${SERIAL_OF} end
if serial() ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1`;

/** Moves a lease's due-set score to ARGV[3] while the lease still names serial ARGV[1]. */
const POSTPONE_IF_SERIAL = `local function serial() ${SERIAL_OF} end
if serial() ~= ARGV[1] then return 0 end
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
 *
 * A lease that does not decode (anything can be written into Redis by whoever holds its password) is
 * skipped and reported by key: read as absent, and taken out of the due set so no pass meets it again.
 * Its key is left for an operator to look at; the store checks it again at every listDue and reports it
 * settled once it holds a valid lease (mesh-api puts back the lease of a connected dataplane) or is gone.
 */
export class RedisLeaseStore implements LeaseStore {
  /** Due-set members whose lease was reported as not decoding and has not been settled since. */
  private readonly rejected = new Set<string>();

  private constructor(
    private readonly client: Client,
    private readonly prefix: string,
    private readonly clock: Clock,
    private readonly rejections: RejectionObserver | undefined,
  ) {}

  static async connect(options: RedisLeaseStoreOptions): Promise<RedisLeaseStore> {
    const client: Client = createClient({
      // Refused credentials do not get better by reconnecting: connect() fails with the reason instead.
      // Anything else is retried as the client does by default (doubling from 50 ms to 2 s, ±10 %).
      socket: {
        reconnectStrategy: (retries: number, cause: Error) =>
          AUTH_REFUSED.test(cause?.message ?? '')
            ? new CredentialsRefusedError('redis', cause.message, { cause })
            : backoffDelay(retries, { baseMs: 50, capMs: 2_000, jitter: { spread: 0.1 } }),
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
    return new RedisLeaseStore(client, options.keyPrefix ?? 'meshtls:', options.clock, options.rejections);
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
    const member = memberOf(mesh, dataplane);
    return this.live(this.read(member, await this.client.get(this.leaseKey(member))));
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
    await this.recheckRejected();
    const due: Lease[] = [];
    const gone: string[] = [];
    const bad: { member: string; raw: string }[] = [];
    const batch = Math.max(limit, 100);
    for (let offset = 0; due.length < limit; offset += batch) {
      const members = await this.client.zRange(this.dueKey, '-inf', now.getTime(), {
        BY: 'SCORE',
        LIMIT: { offset, count: batch },
      });
      if (members.length === 0) break;
      const values = await this.client.mGet(members.map((m) => this.leaseKey(m)));
      values.forEach((raw, i) => {
        const member = members[i]!;
        if (raw === null) gone.push(member);
        const read = this.read(member, raw);
        if (read === 'rejected') bad.push({ member, raw: raw! });
        const lease = this.live(read);
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
    for (const { member, raw } of bad) {
      await this.client.eval(REMOVE_IF_UNCHANGED, {
        keys: [this.leaseKey(member), this.dueKey],
        arguments: [member, raw],
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

  /**
   * The lease a raw value holds: undefined when there is none, `rejected` (reported once, until settled)
   * when it does not decode. Settles a member reported before that now reads fine or is gone.
   */
  private read(member: string, raw: string | null): Lease | undefined | 'rejected' {
    const decoded = raw === null ? undefined : decodeLease(raw, ...keyPartsOf(member));
    if (decoded !== undefined && !decoded.ok) {
      if (!this.rejected.has(member)) {
        this.rejected.add(member);
        this.rejections?.rejected({
          source: 'redis',
          key: this.leaseKey(member),
          type: 'lease',
          reason: decoded.reason,
        });
      }
      return 'rejected';
    }
    if (this.rejected.delete(member)) this.rejections?.settled('redis', this.leaseKey(member));
    return decoded?.lease;
  }

  /** A lease past its `notAfter` by the injected clock is gone, as in the memory store. */
  private live(read: Lease | undefined | 'rejected'): Lease | undefined {
    if (read === undefined || read === 'rejected') return undefined;
    return Date.parse(read.notAfter) <= this.clock.now().getTime() ? undefined : read;
  }

  /** Reads again the leases reported as not decoding (no longer in the due set), to see them settled. */
  private async recheckRejected(): Promise<void> {
    if (this.rejected.size === 0) return;
    const members = [...this.rejected];
    const values = await this.client.mGet(members.map((m) => this.leaseKey(m)));
    values.forEach((raw, i) => this.read(members[i]!, raw));
  }
}

function memberOf(mesh: string, dataplane: string): string {
  return `${encodeURIComponent(mesh)}:${encodeURIComponent(dataplane)}`;
}

/** Mesh and dataplane of a member; a member that is not two encoded names gives names no lease has. */
function keyPartsOf(member: string): [string, string] {
  const parts = member.split(':');
  if (parts.length !== 2) return ['', ''];
  try {
    return [decodeURIComponent(parts[0]!), decodeURIComponent(parts[1]!)];
  } catch {
    return ['', ''];
  }
}
