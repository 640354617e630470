import { FakeClock } from '@meshtls/util';
import type { Lease, LeaseStore } from '../ports/lease.store';

const DAY = 24 * 3600_000;

/**
 * The behaviour every LeaseStore adapter shares. `make` returns a fresh, empty store using `clock`. The
 * clock starts at the real time, because Redis expires keys by its own clock.
 */
export function describeLeaseStoreContract(
  adapter: string,
  make: (clock: FakeClock) => Promise<LeaseStore>,
): void {
  describe(`LeaseStore contract: ${adapter}`, () => {
    let clock: FakeClock;
    let store: LeaseStore;
    let t0: number;

    const lease = (dataplane: string, rotateInDays: number, extra: Partial<Lease> = {}): Lease => ({
      mesh: 'default',
      dataplane,
      serial: 'aa01',
      notBefore: new Date(t0).toISOString(),
      notAfter: new Date(t0 + 30 * DAY).toISOString(),
      rotateAt: new Date(t0 + rotateInDays * DAY).toISOString(),
      backend: 'ca-1',
      supportedBackends: ['ca-1'],
      controlPlaneInstance: 'cp-1',
      session: 's-1',
      ...extra,
    });

    beforeEach(async () => {
      t0 = Date.now();
      clock = new FakeClock(new Date(t0));
      store = await make(clock);
    });

    afterEach(() => store.close());

    it('puts, reads, replaces and deletes a lease', async () => {
      const first = lease('dp-1', 24);
      await store.put(first);
      expect(await store.get('default', 'dp-1')).toEqual(first);
      expect(await store.get('default', 'dp-2')).toBeUndefined();
      expect(await store.get('other', 'dp-1')).toBeUndefined();
      const second = lease('dp-1', 25, { serial: 'bb02', supportedBackends: ['ca-1', 'ca-2'] });
      await store.put(second);
      expect(await store.get('default', 'dp-1')).toEqual(second);
      await store.delete('default', 'dp-1');
      expect(await store.get('default', 'dp-1')).toBeUndefined();
      await store.delete('default', 'dp-1');
    });

    it('keeps names with separators apart', async () => {
      await store.put(lease('b:c', 1, { mesh: 'a' }));
      await store.put(lease('c', 1, { mesh: 'a:b' }));
      expect((await store.get('a', 'b:c'))?.mesh).toBe('a');
      expect((await store.get('a:b', 'c'))?.mesh).toBe('a:b');
      expect(await store.get('a:b:c', '')).toBeUndefined();
    });

    it('lists due leases earliest first, at most limit, by their current rotateAt', async () => {
      await store.put(lease('late', 20));
      await store.put(lease('early', 10));
      await store.put(lease('middle', 15));
      await store.put(lease('not-yet', 26));
      await store.put(lease('moved', 5));
      await store.put(lease('moved', 28)); // replaced: no longer due at day 25
      const at = (days: number) => new Date(t0 + days * DAY);
      expect((await store.listDue(at(25), 10)).map((l) => l.dataplane)).toEqual(['early', 'middle', 'late']);
      expect((await store.listDue(at(25), 2)).map((l) => l.dataplane)).toEqual(['early', 'middle']);
      expect(await store.listDue(at(1), 10)).toEqual([]);
      await store.delete('default', 'early');
      expect((await store.listDue(at(25), 1)).map((l) => l.dataplane)).toEqual(['middle']);
    });

    it('deletes a lease by serial only while it still names that serial', async () => {
      await store.put(lease('dp-1', 1));
      expect(await store.deleteIf('default', 'dp-1', 'bb02')).toBe(false);
      expect(await store.get('default', 'dp-1')).toEqual(lease('dp-1', 1));
      expect(await store.deleteIf('default', 'dp-1', 'aa01')).toBe(true);
      expect(await store.get('default', 'dp-1')).toBeUndefined();
      expect(await store.listDue(new Date(t0 + 2 * DAY), 10)).toEqual([]);
      expect(await store.deleteIf('default', 'dp-1', 'aa01')).toBe(false);
      expect(await store.deleteIf('nowhere', 'dp-9', 'aa01')).toBe(false);
    });

    it('keeps a lease replaced since the serial was read', async () => {
      await store.put(lease('dp-1', 1));
      await store.put(lease('dp-2', 1));
      await store.put(lease('dp-1', 2, { serial: 'bb02', controlPlaneInstance: 'cp-2' }));
      expect(await store.deleteIf('default', 'dp-1', 'aa01')).toBe(false);
      expect((await store.get('default', 'dp-1'))?.serial).toBe('bb02');
      const due = await store.listDue(new Date(t0 + 3 * DAY), 10);
      expect(due.map((l) => `${l.dataplane}/${l.serial}`)).toEqual(['dp-2/aa01', 'dp-1/bb02']);
    });

    it('postpones a due lease while it names the serial, until the next put', async () => {
      await store.put(lease('dp-1', 1));
      await store.put(lease('dp-2', 2));
      const later = new Date(t0 + 5 * DAY);
      expect(await store.postpone('default', 'dp-1', 'bb02', later)).toBe(false);
      expect(await store.postpone('default', 'dp-1', 'aa01', later)).toBe(true);
      expect(await store.postpone('default', 'nowhere', 'aa01', later)).toBe(false);
      const at3 = await store.listDue(new Date(t0 + 3 * DAY), 10);
      expect(at3.map((l) => l.dataplane)).toEqual(['dp-2']);
      const at5 = await store.listDue(later, 10);
      expect(at5.map((l) => l.dataplane)).toEqual(['dp-2', 'dp-1']);
      await store.put(lease('dp-1', 1, { serial: 'bb02' }));
      const again = await store.listDue(new Date(t0 + 3 * DAY), 10);
      expect(again.map((l) => l.dataplane)).toEqual(['dp-1', 'dp-2']);
    });

    it('deletes a raced lease once', async () => {
      await store.put(lease('dp-1', 1));
      const results = await Promise.all(
        Array.from({ length: 5 }, () => store.deleteIf('default', 'dp-1', 'aa01')),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('forgets a lease once its certificate has expired', async () => {
      await store.put(lease('dp-1', 24));
      clock.advance(30 * DAY);
      expect(await store.get('default', 'dp-1')).toBeUndefined();
      expect(await store.listDue(clock.now(), 10)).toEqual([]);
    });

    it('grants a claim to exactly one claimer until it expires', async () => {
      expect(await store.claim('default', 'dp-1', 'aa01', 'scheduler-1', 150)).toBe(true);
      expect(await store.claim('default', 'dp-1', 'aa01', 'scheduler-2', 150)).toBe(false);
      expect(await store.claim('default', 'dp-1', 'aa01', 'scheduler-1', 150)).toBe(false);
      expect(await store.claim('default', 'dp-1', 'bb02', 'scheduler-2', 150)).toBe(true);
      expect(await store.claim('default', 'dp-2', 'aa01', 'scheduler-2', 150)).toBe(true);
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.claim('default', 'dp-3', 'cc03', `s-${i}`, 5000)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      // Claims expire by the store's time: the fake clock for memory, the server's for Redis.
      clock.advance(200);
      await new Promise((r) => setTimeout(r, 200));
      expect(await store.claim('default', 'dp-1', 'aa01', 'scheduler-2', 150)).toBe(true);
    });
  });
}
