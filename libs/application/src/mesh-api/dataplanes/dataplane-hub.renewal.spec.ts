import { X509Certificate } from 'node:crypto';
import { eventually } from '@meshtls/testing';
import type { Lease, LeaseStore } from '@meshtls/store';
import { MemoryLeaseStore } from '@meshtls/store/adapters';
import { verifyCsr } from '@meshtls/pki';
import { HubWorld, clock, csr, dataplane } from './dataplane-hub.test-support';
import type { DataplaneHub } from './dataplane-hub';
import type { DataplaneSession } from './dataplane-session';

const DAY = 86_400_000;

/**
 * A lease store that can be taken away: while `away`, every call waits (as the Redis client queues
 * commands while it reconnects) until it is back.
 */
class AwayLeaseStore implements LeaseStore {
  away = false;
  /** Calls made while away, by method. */
  readonly whileAway: string[] = [];
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly inner: LeaseStore) {}

  back(): void {
    this.away = false;
    this.waiting.splice(0).forEach((go) => go());
  }

  private async call<T>(work: () => Promise<T>, method = 'other'): Promise<T> {
    if (this.away) {
      this.whileAway.push(method);
      await new Promise<void>((go) => this.waiting.push(go));
    }
    return work();
  }

  put = (lease: Lease) => this.call(() => this.inner.put(lease), 'put');
  get = (mesh: string, dataplane: string) => this.call(() => this.inner.get(mesh, dataplane), 'get');
  delete = (mesh: string, dataplane: string) => this.call(() => this.inner.delete(mesh, dataplane));
  deleteIf = (mesh: string, dataplane: string, serial: string) =>
    this.call(() => this.inner.deleteIf(mesh, dataplane, serial));
  postpone = (mesh: string, dataplane: string, serial: string, until: Date) =>
    this.call(() => this.inner.postpone(mesh, dataplane, serial, until));
  listDue = (now: Date, limit: number) => this.call(() => this.inner.listDue(now, limit));
  claim = (mesh: string, dataplane: string, serial: string, claimer: string, ttlMs: number) =>
    this.call(() => this.inner.claim(mesh, dataplane, serial, claimer, ttlMs));
  close = () => this.inner.close();
}

describe('DataplaneHub: certificates that heal', () => {
  const w = HubWorld.perTest();
  let verdicts: boolean[];
  let logs: string[];
  beforeEach(() => {
    verdicts = [];
    logs = [];
  });

  const hubWith = (extra: { leases?: LeaseStore } = {}) =>
    w.makeHub('cp-1@boot-1', undefined, undefined, {
      ...extra,
      log: (_level, message) => logs.push(message),
      observer: {
        issued: () => undefined,
        failed: () => undefined,
        renewalRequested: (e) => verdicts.push(e.honoured),
      },
    });

  const askRenewal = (hub: DataplaneHub, session: DataplaneSession, requestId: string, csrPem = csr()) => {
    hub.onMessage(session, { type: 'csr', reason: 'renewal', requestId, csrPem });
    return csrPem;
  };

  const leaseOf = (session: DataplaneSession) => session.lease!;

  it('ignores a renewal asked for before the rotation time, honours it once due, with the CSR sent', async () => {
    const hub = hubWith();
    const { dp, session } = await w.connectAnswering(hub);
    const first = leaseOf(session);

    askRenewal(hub, session, 'r-early');
    await eventually(() => expect(verdicts).toEqual([false]));
    expect(dp.identities()).toHaveLength(1);
    expect(logs).toContainEqual(expect.stringMatching(/renewal of .* not due before .*; ignored/));

    clock.set(first.rotateAt);
    const csrPem = askRenewal(hub, session, 'r-due');
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    const renewed = dp.identities()[1]!;
    expect(renewed).toMatchObject({ reason: 'rotation', requestId: 'r-due' });
    expect(new X509Certificate(renewed.certPem).publicKey.equals(verifyCsr(csrPem))).toBe(true);
    expect(verdicts).toEqual([false, true]);
    expect((await w.leases.get('default', 'web-1'))!.serial).toBe(renewed.serial);

    // The new certificate is not due: asking again right away is ignored.
    askRenewal(hub, session, 'r-again');
    await eventually(() => expect(verdicts).toEqual([false, true, false]));
    expect(dp.identities()).toHaveLength(2);
    // No csr-request was needed: the dataplane sent its CSR with the ask.
    expect(dp.received.filter((m) => m.type === 'csr-request')).toEqual([]);
    expect(w.issued).toEqual(['new', 'rotation']);
  });

  it('honours a renewal of a certificate that has expired', async () => {
    const hub = hubWith();
    const { dp, session } = await w.connectAnswering(hub);
    clock.set(new Date(Date.parse(leaseOf(session).notAfter) + DAY));
    askRenewal(hub, session, 'r-late');
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    expect(verdicts).toEqual([true]);
    expect(logs).toContainEqual(expect.stringMatching(/renews .* on its own request \(expired at /));
    expect(Date.parse(dp.identities()[1]!.notAfter)).toBeGreaterThan(clock.now().getTime());
  });

  it('never issues twice when a scheduler rotation and the dataplane’s ask cross', async () => {
    const hub = hubWith();
    const { dp, session } = await w.connectAnswering(hub);
    const due = leaseOf(session);
    clock.set(due.rotateAt);
    // The scheduler's rotation first, then the ask sent before the dataplane saw the new certificate.
    const rotated = hub.rotate({
      mesh: 'default',
      dataplane: 'web-1',
      serial: due.serial,
      reason: 'rotation',
    });
    askRenewal(hub, session, 'r-crossed');
    expect(await rotated).toEqual({ status: 'rotated' });
    await eventually(() => expect(verdicts).toEqual([false]));
    // The other way round: the ask first, then the scheduler's request for the serial it replaced.
    clock.set(leaseOf(session).rotateAt);
    const before = leaseOf(session).serial;
    askRenewal(hub, session, 'r-first');
    expect(
      await hub.rotate({ mesh: 'default', dataplane: 'web-1', serial: before, reason: 'rotation' }),
    ).toEqual({ status: 'stale' });
    expect(dp.identities()).toHaveLength(3);
    expect(w.issued).toEqual(['new', 'rotation', 'rotation']);
  });

  it('takes one ask at a time from a dataplane: more while one is under way queue nothing', async () => {
    const hub = hubWith();
    const { dp, session } = await w.connectAnswering(hub);
    clock.set(leaseOf(session).rotateAt);
    for (let i = 0; i < 5; i++) askRenewal(hub, session, `r-${i}`);
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    expect(dp.identities()[1]!.requestId).toBe('r-0');
    // One verdict: the four other asks were dropped, not queued to be judged one after the other.
    expect(verdicts).toEqual([true]);
  });

  it('the lease check re-issues an expired certificate at once and puts back a lost due lease', async () => {
    const hub = hubWith();
    const { dp: web, session: webSession } = await w.connectAnswering(hub);
    clock.advance(DAY / 2);
    const api = await w.connectAnswering(
      hub,
      w.hello('api-1', 'session-cccc', { dataplane: { type: 'Dataplane', ...dataplane('api') } }),
    );
    // web-1's certificate has expired; api-1's is due (rotated at 0.8 day) and still valid.
    clock.set(new Date(Date.parse(leaseOf(api.session).rotateAt) + 60_000));
    const expired = leaseOf(webSession);
    expect(await w.leases.get('default', 'web-1')).toBeUndefined(); // the store dropped it at notAfter
    await w.leases.delete('default', 'api-1'); // the store restarted without its data

    expect(await hub.restoreLostLeases()).toEqual({ restored: 1, expired: 1 });
    await eventually(() => expect(web.identities()).toHaveLength(2));
    expect(web.identities()[1]!.reason).toBe('rotation');
    expect((await w.leases.get('default', 'web-1'))!.serial).not.toBe(expired.serial);
    expect(logs).toContainEqual(expect.stringMatching(/expired at .* without being rotated/));
    // api-1 is not re-issued by the check: its lease is back, due, for the rotation scheduler.
    expect(api.dp.identities()).toHaveLength(1);
    const due = await w.leases.listDue(clock.now(), 10);
    expect(due.map((l) => l.dataplane)).toEqual(['api-1']);
    expect(w.issued).toEqual(['new', 'new', 'rotation']);
  });

  it('heals while the lease store is away: expired certificates and renewals do not wait for it', async () => {
    const leases = new AwayLeaseStore(new MemoryLeaseStore(clock));
    const hub = hubWith({ leases });
    const { dp, session } = await w.connectAnswering(hub);
    leases.away = true;

    // Expired: the lease check re-issues it without reading the store.
    clock.set(new Date(Date.parse(leaseOf(session).notAfter) + 1));
    const check = hub.restoreLostLeases();
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    // Then twice due, and asked for by the dataplane: each honoured although no lease write has landed.
    clock.set(leaseOf(session).rotateAt);
    askRenewal(hub, session, 'r-1');
    await eventually(() => expect(dp.identities()).toHaveLength(3));
    clock.set(leaseOf(session).rotateAt);
    askRenewal(hub, session, 'r-2');
    await eventually(() => expect(dp.identities()).toHaveLength(4));

    // Back: the writes land in order, the newest last.
    leases.back();
    await expect(check).resolves.toEqual({ restored: 0, expired: 1 });
    await eventually(async () =>
      expect((await leases.get('default', 'web-1'))?.serial).toBe(dp.identities()[3]!.serial),
    );
  });

  it('does not pile up lease checks on a store that is away', async () => {
    const leases = new AwayLeaseStore(new MemoryLeaseStore(clock));
    const hub = hubWith({ leases });
    const { dp, session } = await w.connectAnswering(hub);
    await leases.delete('default', 'web-1'); // lost, then the store goes away
    leases.away = true;
    const first = hub.restoreLostLeases();
    await eventually(() => expect(leases.whileAway).toEqual(['get']));
    // Later checks while the first waits: they read nothing from the store, but still re-issue what expired.
    clock.set(new Date(Date.parse(leaseOf(session).notAfter) + 1));
    expect(await hub.restoreLostLeases()).toEqual({ restored: 0, expired: 1 });
    await eventually(() => expect(dp.identities()).toHaveLength(2));
    expect(await hub.restoreLostLeases()).toEqual({ restored: 0, expired: 0 });
    expect(leases.whileAway.filter((m) => m === 'get')).toEqual(['get']);
    leases.back();
    // The lease written for the new certificate landed before the first check wrote any: nothing to put back.
    expect(await first).toEqual({ restored: 0, expired: 0 });
    await eventually(async () =>
      expect((await leases.get('default', 'web-1'))?.serial).toBe(dp.identities()[1]!.serial),
    );
  });
});
