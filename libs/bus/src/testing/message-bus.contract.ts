import { z } from 'zod';
import { defineEvent, defineRequest } from '@meshtls/contracts';
import { InvalidMessageError, MeshError, RemoteError, TimeoutError } from '@meshtls/util';
import type { MessageBus } from '../ports/message.bus';
import { waitFor } from '@meshtls/testing';

/** Two buses that reach each other (two replicas); `settle` waits until subscriptions are in effect. */
export interface MessageBusFixture {
  readonly a: MessageBus;
  readonly b: MessageBus;
  settle(): Promise<void>;
  dispose(): Promise<void>;
}

const echo = defineRequest({
  subject: 'mesh.test.echo.v1',
  request: z.object({
    text: z.string(),
    delayMs: z.number().optional(),
    fail: z.enum(['mesh', 'plain', 'reply']).optional(),
  }),
  reply: z.object({ text: z.string(), by: z.string() }),
  timeoutMs: 2000,
});
const happened = defineEvent({ subject: 'mesh.test.happened.v1', payload: z.object({ n: z.number() }) });

class TestRefusedError extends MeshError {
  readonly code = 'test.refused';
}

function echoHandler(by: string, counter?: Map<string, number>) {
  return async (q: z.infer<typeof echo.request>) => {
    counter?.set(by, (counter.get(by) ?? 0) + 1);
    if (q.delayMs) await new Promise((r) => setTimeout(r, q.delayMs));
    if (q.fail === 'mesh') throw new TestRefusedError('refused: not allowed here');
    if (q.fail === 'plain') throw new Error('db password is hunter2');
    if (q.fail === 'reply') return { text: 42 } as unknown as { text: string; by: string };
    return { text: q.text, by };
  };
}

/** The behaviour every MessageBus adapter shares; `make` returns a fresh pair of connected buses. */
export function describeMessageBusContract(adapter: string, make: () => Promise<MessageBusFixture>): void {
  describe(`MessageBus contract: ${adapter}`, () => {
    let f: MessageBusFixture;
    beforeEach(async () => (f = await make()));
    afterEach(() => f.dispose());

    it('carries a request to a responder on the other bus and its reply back', async () => {
      f.a.serve(echo, echoHandler('a'), { queue: 'echo' });
      await f.settle();
      await expect(f.b.request(echo, { text: 'hi' })).resolves.toEqual({ text: 'hi', by: 'a' });
    });

    it('refuses an invalid request before sending it', async () => {
      const calls = new Map<string, number>();
      f.a.serve(echo, echoHandler('a', calls), { queue: 'echo' });
      await f.settle();
      await expect(f.b.request(echo, { text: 7 } as never)).rejects.toBeInstanceOf(InvalidMessageError);
      expect(calls.size).toBe(0);
    });

    it('turns handler errors into RemoteErrors without leaking details', async () => {
      f.a.serve(echo, echoHandler('a'), { queue: 'echo' });
      await f.settle();
      const mesh = await f.b.request(echo, { text: 'x', fail: 'mesh' }).catch((e: unknown) => e);
      expect(mesh).toBeInstanceOf(RemoteError);
      expect(mesh).toMatchObject({ code: 'test.refused', message: 'refused: not allowed here' });
      const plain = await f.b.request(echo, { text: 'x', fail: 'plain' }).catch((e: unknown) => e);
      expect(plain).toMatchObject({ code: 'internal', message: 'internal error' });
      expect(JSON.stringify(plain) + String(plain)).not.toContain('hunter2');
      const reply = await f.b.request(echo, { text: 'x', fail: 'reply' }).catch((e: unknown) => e);
      expect(reply).toMatchObject({ code: 'bus.invalid-message' });
    });

    it('times out without a responder and with a slow one', async () => {
      await expect(f.b.request(echo, { text: 'x' })).rejects.toBeInstanceOf(TimeoutError);
      const sub = f.a.serve(echo, echoHandler('a'), { queue: 'echo' });
      await f.settle();
      const started = Date.now();
      await expect(f.b.request(echo, { text: 'x', delayMs: 500 }, { timeoutMs: 100 })).rejects.toBeInstanceOf(
        TimeoutError,
      );
      expect(Date.now() - started).toBeLessThan(450);
      await sub.unsubscribe();
      await f.settle();
      await expect(f.b.request(echo, { text: 'x' })).rejects.toBeInstanceOf(TimeoutError);
    });

    it('gives each request to exactly one member of a queue group, shared between members', async () => {
      const calls = new Map<string, number>();
      f.a.serve(echo, echoHandler('a', calls), { queue: 'echo' });
      f.b.serve(echo, echoHandler('b', calls), { queue: 'echo' });
      await f.settle();
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) => f.a.request(echo, { text: `${i}` })),
      );
      expect(replies.map((r) => r.text)).toEqual(Array.from({ length: 40 }, (_, i) => `${i}`));
      expect((calls.get('a') ?? 0) + (calls.get('b') ?? 0)).toBe(40);
      expect(calls.get('a')).toBeGreaterThan(0);
      expect(calls.get('b')).toBeGreaterThan(0);
      expect(replies.filter((r) => r.by === 'a')).toHaveLength(calls.get('a')!);
    });

    it('delivers events to every plain subscriber and once per queue group', async () => {
      const plain: number[][] = [[], []];
      const grouped: number[] = [];
      f.a.subscribe(happened, (e) => void plain[0]!.push(e.n));
      f.b.subscribe(happened, (e) => void plain[1]!.push(e.n));
      f.a.subscribe(happened, (e) => void grouped.push(e.n), { queue: 'stats' });
      f.b.subscribe(happened, (e) => void grouped.push(e.n), { queue: 'stats' });
      await f.settle();
      for (let n = 0; n < 10; n++) await f.b.publish(happened, { n });
      await waitFor(() => expect(grouped).toHaveLength(10));
      await waitFor(() => {
        expect(plain[0]).toHaveLength(10);
        expect(plain[1]).toHaveLength(10);
      });
      expect([...grouped].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await expect(f.a.publish(happened, { n: 'x' } as never)).rejects.toBeInstanceOf(InvalidMessageError);
    });

    it('stops delivering events after unsubscribe', async () => {
      const seen: number[] = [];
      const sub = f.a.subscribe(happened, (e) => void seen.push(e.n));
      await f.settle();
      await f.b.publish(happened, { n: 1 });
      await waitFor(() => expect(seen).toEqual([1]));
      await sub.unsubscribe();
      await f.settle();
      await f.b.publish(happened, { n: 2 });
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual([1]);
    });
  });
}
