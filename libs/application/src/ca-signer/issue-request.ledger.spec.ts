import { IssueRequestLedger } from './issue-request.ledger';

describe('IssueRequestLedger', () => {
  let now = 0;
  const ledger = (options: { ttlMs?: number; maxEntries?: number } = {}) =>
    new IssueRequestLedger<string>({ now: () => now, ...options });
  const keepAll = () => true;
  const keepUnshed = (v: string) => v !== 'shed';
  beforeEach(() => (now = 1_000));

  it('answers a request asked again with the answer already made, without making another', async () => {
    const l = ledger();
    const make = jest.fn(async () => 'cert-1');
    expect(await l.run('r1', 'm/dp', make, keepAll)).toBe('cert-1');
    expect(await l.run('r1', 'm/dp', make, keepAll)).toBe('cert-1');
    expect(make).toHaveBeenCalledTimes(1);
    expect(l.repeats).toBe(1);
  });

  it('joins a request still being made', async () => {
    const l = ledger();
    let finish!: (v: string) => void;
    const make = jest.fn(() => new Promise<string>((r) => (finish = r)));
    const first = l.run('r1', 'm/dp', make, keepAll);
    const second = l.run('r1', 'm/dp', make, keepAll);
    finish('cert-1');
    expect(await Promise.all([first, second])).toEqual(['cert-1', 'cert-1']);
    expect(make).toHaveBeenCalledTimes(1);
  });

  it('makes anew what it must not keep (a shed answer) and what failed', async () => {
    const l = ledger();
    expect(await l.run('r1', 'm/dp', async () => 'shed', keepUnshed)).toBe('shed');
    expect(await l.run('r1', 'm/dp', async () => 'cert', keepUnshed)).toBe('cert');
    await expect(l.run('r2', 'm/dp', () => Promise.reject(new Error('boom')), keepAll)).rejects.toThrow(
      'boom',
    );
    await Promise.resolve();
    expect(await l.run('r2', 'm/dp', async () => 'cert-2', keepAll)).toBe('cert-2');
    expect(l.repeats).toBe(0);
  });

  it('does not serve one owner the answer made for another under the same id', async () => {
    const l = ledger();
    await l.run('r1', 'm/web', async () => 'web-cert', keepAll);
    expect(await l.run('r1', 'm/payments', async () => 'payments-cert', keepAll)).toBe('payments-cert');
  });

  it('forgets after its ttl and keeps at most maxEntries, the oldest going first', async () => {
    const l = ledger({ ttlMs: 100, maxEntries: 2 });
    await l.run('a', 'o', async () => 'A', keepAll);
    now += 10;
    await l.run('b', 'o', async () => 'B', keepAll);
    await l.run('c', 'o', async () => 'C', keepAll);
    expect(l.size).toBe(2);
    expect(await l.run('a', 'o', async () => 'A2', keepAll)).toBe('A2'); // evicted: made anew
    now += 200;
    expect(await l.run('b', 'o', async () => 'B2', keepAll)).toBe('B2'); // expired
    expect(l.size).toBe(1);
  });
});
