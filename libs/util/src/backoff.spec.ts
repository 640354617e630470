import { backoffDelay, retryWithBackoff } from './backoff';

describe('backoffDelay', () => {
  const policy = { baseMs: 100, capMs: 1_000 };

  it('doubles from the base up to the cap', () => {
    expect([0, 1, 2, 3, 4, 40].map((n) => backoffDelay(n, policy))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('jitters within the bounds each kind promises', () => {
    expect(backoffDelay(2, { ...policy, jitter: 'full' }, () => 0)).toBe(0);
    expect(backoffDelay(2, { ...policy, jitter: 'full' }, () => 0.999)).toBe(399);
    expect(backoffDelay(2, { ...policy, jitter: 'equal' }, () => 0)).toBe(200);
    expect(backoffDelay(2, { ...policy, jitter: 'equal' }, () => 0.999)).toBe(399);
    expect(backoffDelay(2, { ...policy, jitter: { spread: 0.25 } }, () => 0)).toBe(300);
    expect(backoffDelay(2, { ...policy, jitter: { spread: 0.25 } }, () => 1)).toBe(500);
  });
});

describe('retryWithBackoff', () => {
  const transient = new Error('transient');
  const fatal = new Error('fatal');

  it('tries again after each retryable failure, waiting as the policy says, until it succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await retryWithBackoff(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw transient;
        return 'done';
      },
      {
        policy: { baseMs: 10, capMs: 1_000 },
        deadline: Number.MAX_SAFE_INTEGER,
        retryable: (e) => e === transient,
        sleep: async (ms) => void waits.push(ms),
      },
    );
    expect(result).toBe('done');
    expect(calls).toBe(4);
    expect(waits).toEqual([10, 20, 40]);
  });

  it('waits what delayOf says for a failure that names its own wait, the policy for the others', async () => {
    const waits: number[] = [];
    const retryAfter = Object.assign(new Error('busy'), { retryAfterMs: 500 });
    const failures = [transient, retryAfter, transient];
    await retryWithBackoff(
      async (attempt) => {
        if (attempt < failures.length) throw failures[attempt];
      },
      {
        policy: { baseMs: 10, capMs: 1_000 },
        deadline: Number.MAX_SAFE_INTEGER,
        retryable: () => true,
        delayOf: (e) => (e === retryAfter ? retryAfter.retryAfterMs : undefined),
        sleep: async (ms) => void waits.push(ms),
      },
    );
    expect(waits).toEqual([10, 500, 40]);
  });

  it('throws a failure that is not retryable at once', async () => {
    let calls = 0;
    const run = retryWithBackoff(
      async () => {
        calls++;
        throw fatal;
      },
      {
        policy: { baseMs: 10, capMs: 10 },
        deadline: Number.MAX_SAFE_INTEGER,
        retryable: (e) => e === transient,
      },
    );
    await expect(run).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('gives up when the next wait would end past the deadline, with what giveUp makes of the failure', async () => {
    let clock = 0;
    const waits: number[] = [];
    const run = retryWithBackoff(
      async () => {
        throw transient;
      },
      {
        policy: { baseMs: 100, capMs: 100 },
        deadline: 250,
        retryable: () => true,
        giveUp: (e) => new Error(`gave up: ${(e as Error).message}`),
        now: () => clock,
        sleep: async (ms) => {
          waits.push(ms);
          clock += ms;
        },
      },
    );
    await expect(run).rejects.toThrow('gave up: transient');
    expect(waits).toEqual([100, 100]);
  });
});
