import { z } from 'zod';
import { defineEvent, defineRequest, type EventContract } from '@meshtls/contracts';
import { eventually, RecordingRejections, startNatsServer, type NatsServerHandle } from '@meshtls/testing';
import { describeMessageBusContract } from '../testing/message-bus.contract';
import { NatsBus } from './nats.bus';

let server: NatsServerHandle;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
});

afterAll(async () => {
  await server?.stop();
});

describeMessageBusContract('nats', async () => {
  const a = await NatsBus.connect({ servers: server.url, name: 'bus-a' });
  const b = await NatsBus.connect({ servers: server.url, name: 'bus-b' });
  return {
    a,
    b,
    settle: async () => {
      await a.flush();
      await b.flush();
    },
    dispose: async () => {
      await a.close();
      await b.close();
    },
  };
});

describe('NatsBus on a shared connection', () => {
  it('leaves the connection open on close and checks replies from a raw responder', async () => {
    const contract = defineRequest({
      subject: 'mesh.test.raw.v1',
      request: z.object({}),
      reply: z.object({ n: z.number() }),
    });
    const owner = await NatsBus.connect({ servers: server.url, name: 'owner' });
    const shared = new NatsBus(owner.nc);
    try {
      owner.nc.subscribe(contract.subject, {
        callback: (_e, m) => m.respond(new TextEncoder().encode('not json')),
      });
      await owner.flush();
      await expect(shared.request(contract, {})).rejects.toMatchObject({ code: 'bus.invalid-message' });
      await shared.close();
      expect(owner.nc.isClosed()).toBe(false);
    } finally {
      await owner.close();
    }
    expect(owner.nc.isClosed()).toBe(true);
  });
});

describe('NatsBus replies', () => {
  it('answers each request with its own reply when many handlers finish in the same turn', async () => {
    const contract = defineRequest({
      subject: 'mesh.test.echo.v1',
      request: z.object({ n: z.number() }),
      reply: z.object({ n: z.number() }),
    });
    const responder = await NatsBus.connect({ servers: server.url, name: 'responder' });
    const requester = await NatsBus.connect({ servers: server.url, name: 'requester' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let waiting = 0;
    try {
      responder.serve(
        contract,
        async ({ n }) => {
          waiting++;
          await released; // every handler ends in the same turn of the event loop
          return { n };
        },
        { queue: 'echo' },
      );
      await responder.flush();
      const asked = Array.from({ length: 50 }, (_, n) => requester.request(contract, { n }));
      await eventually(() => expect(waiting).toBe(50));
      release();
      expect(await Promise.all(asked)).toEqual(Array.from({ length: 50 }, (_, n) => ({ n })));
      // and the next turn's replies still leave
      expect(await requester.request(contract, { n: 51 })).toEqual({ n: 51 });
    } finally {
      await requester.close();
      await responder.close();
    }
  });
});

describe('NatsBus durable consumption (JetStream)', () => {
  let js: NatsServerHandle;
  beforeAll(async () => {
    js = await startNatsServer({ jetstream: true });
  });
  afterAll(async () => {
    await js?.stop();
  });

  const happened = defineEvent({ subject: 'mesh.test.happened.v1', payload: z.object({ n: z.number() }) });
  const connect = (name: string) =>
    NatsBus.connect({ servers: js.url, name, eventStream: { name: 'TEST_EVENTS', ackWaitMs: 1_000 } });

  it('hands every event to one member at least once: again after a failure, and after a member dies', async () => {
    const [publisher, steady, doomed] = await Promise.all([
      connect('pub'),
      connect('steady'),
      connect('doomed'),
    ]);
    try {
      // A member takes the events first, never finishes them, and dies.
      const taken: number[] = [];
      await doomed.consume([happened] as EventContract<unknown>[], 'group', async (_c, event) => {
        taken.push((event as { n: number }).n);
        await new Promise(() => undefined);
      });
      for (let n = 1; n <= 20; n++) await publisher.publish(happened, { n });
      await eventually(() => expect(taken.length).toBeGreaterThan(0), 5_000);
      await doomed.close();
      // The other member gets every event, including those the dead one held, and one again after it
      // failed once.
      const handled: number[] = [];
      let failedOnce = false;
      await steady.consume([happened] as EventContract<unknown>[], 'group', async (_c, event) => {
        const { n } = event as { n: number };
        if (n === taken[0] && !failedOnce) {
          failedOnce = true;
          throw new Error('transient');
        }
        handled.push(n);
      });
      await eventually(
        () => expect(new Set(handled)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i + 1))),
        15_000,
      );
      expect(failedOnce).toBe(true);
    } finally {
      await Promise.all([publisher.close(), steady.close(), doomed.close().catch(() => undefined)]);
    }
  }, 30_000);

  it('keeps retained events published before any consumer, and stores one asked again once', async () => {
    const noted = defineEvent({ subject: 'mesh.test.noted.v1', payload: z.object({ n: z.number() }) });
    const publisher = await connect('retaining-pub');
    const late = await connect('late-consumer');
    try {
      await publisher.retain([noted] as EventContract<unknown>[]);
      // Published (and acknowledged by JetStream) while no consumer exists; then the server restarts.
      for (let n = 1; n <= 5; n++) await publisher.publish(noted, { n });
      await js.restart();
      // Published while the server is back up but the client may still be reconnecting: retried.
      await publisher.publish(noted, { n: 6 });
      const handled: number[] = [];
      await late.consume([noted] as EventContract<unknown>[], 'late', async (_c, event) => {
        handled.push((event as { n: number }).n);
      });
      await eventually(() => expect(handled.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]), 10_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(handled).toHaveLength(6);
    } finally {
      await Promise.all([publisher.close(), late.close()]);
    }
  }, 30_000);

  it('bounds the event stream by size, dropping the oldest events first', async () => {
    const filler = defineEvent({
      subject: 'mesh.test.filler.v1',
      payload: z.object({ n: z.number(), pad: z.string() }),
    });
    const bounded = await NatsBus.connect({
      servers: js.url,
      name: 'bounded',
      eventStream: { name: 'BOUNDED_EVENTS', maxBytes: 8_192 },
    });
    try {
      await bounded.retain([filler] as EventContract<unknown>[]);
      for (let n = 1; n <= 100; n++) await bounded.publish(filler, { n, pad: 'x'.repeat(200) });
      const info = await (await bounded.nc.jetstreamManager()).streams.info('BOUNDED_EVENTS');
      expect(info.config.max_bytes).toBe(8_192);
      expect(info.state.bytes).toBeLessThanOrEqual(8_192);
      expect(info.state.messages).toBeGreaterThan(0);
      expect(info.state.messages).toBeLessThan(100);
      expect(info.state.last_seq).toBe(100);
      const handled: number[] = [];
      await bounded.consume([filler] as EventContract<unknown>[], 'bounded', async (_c, event) => {
        handled.push((event as { n: number }).n);
      });
      await eventually(() => expect(handled).toContain(100), 10_000);
      expect(handled).not.toContain(1);
    } finally {
      await bounded.close();
    }
  }, 30_000);

  it('skips an event that fails its schema without redelivering it, reports it, and goes on with the next', async () => {
    const counted = defineEvent({ subject: 'mesh.test.counted.v1', payload: z.object({ n: z.number() }) });
    const rejections = new RecordingRejections();
    const errors: unknown[] = [];
    const consumer = await NatsBus.connect({
      servers: js.url,
      name: 'strict-consumer',
      eventStream: { name: 'TEST_EVENTS', ackWaitMs: 1_000 },
      rejections,
      onHandlerError: (error) => errors.push(error),
    });
    const publisher = await connect('raw-publisher');
    try {
      await publisher.retain([counted] as EventContract<unknown>[]);
      const handled: number[] = [];
      await consumer.consume([counted] as EventContract<unknown>[], 'strict', async (_c, event) => {
        handled.push((event as { n: number }).n);
      });
      // Written around the contract, as any client allowed to publish on the subject could.
      const raw = publisher.nc.jetstream();
      await raw.publish(counted.subject, new TextEncoder().encode('not-json{'));
      await raw.publish(counted.subject, new TextEncoder().encode('{"n":"one"}'));
      // Both reported (the source is pending from the first one on): then each as it was.
      await eventually(() => expect(rejections.values).toHaveLength(2), 10_000);
      expect(rejections.pending).toEqual(['stream:mesh.test.counted.v1']);
      // Named by subject and stream sequence (the stream is shared with the tests above).
      expect(rejections.values.map((v) => v.reason.replace(/^event \d+ /, 'event N '))).toEqual([
        'event N of the stream skipped: mesh.test.counted.v1: event is not JSON',
        'event N of the stream skipped: mesh.test.counted.v1: event does not match its schema (n: Invalid input: expected number, received string)',
      ]);
      expect(errors).toHaveLength(2);

      await publisher.publish(counted, { n: 3 });
      await eventually(() => expect(handled).toEqual([3]), 10_000);
      expect(rejections.pending).toEqual([]);
      // Terminated, not left pending: nothing comes again after the acknowledgement deadline.
      const jsm = await consumer.nc.jetstreamManager();
      await eventually(async () => {
        const info = await jsm.consumers.info('TEST_EVENTS', 'strict_mesh_test_counted_v1');
        expect(info.num_ack_pending + info.num_pending).toBe(0);
      }, 10_000);
      expect(handled).toEqual([3]);
      expect(rejections.values).toHaveLength(2);
    } finally {
      await Promise.all([publisher.close(), consumer.close()]);
    }
  }, 30_000);
});
