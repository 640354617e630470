import { z } from 'zod';
import { defineEvent, type EventContract } from '@meshtls/contracts';
import { eventually } from '@meshtls/testing';
import { describeMessageBusContract } from '../testing/message-bus.contract';
import { InProcessBus } from './in-process.bus';

describeMessageBusContract('in-process', async () => {
  const bus = new InProcessBus();
  return { a: bus, b: bus, settle: async () => undefined, dispose: () => bus.close() };
});

describe('InProcessBus durable consumption', () => {
  const happened = defineEvent({ subject: 'mesh.test.happened.v1', payload: z.object({ n: z.number() }) });

  it('gives each event to one member of the group, again after its handler threw', async () => {
    const bus = new InProcessBus();
    const seen: string[] = [];
    let failures = 0;
    const member = (name: string) =>
      bus.consume([happened] as EventContract<unknown>[], 'group', async (_c, event) => {
        const { n } = event as { n: number };
        if (n === 2 && failures++ === 0) throw new Error('transient');
        seen.push(`${name}:${n}`);
      });
    await member('a');
    await member('b');
    for (let n = 1; n <= 4; n++) await bus.publish(happened, { n });
    await eventually(
      () => expect(seen.map((s) => Number(s.split(':')[1])).sort()).toEqual([1, 2, 3, 4]),
      5_000,
    );
    expect(failures).toBe(2); // thrown once, then handled
    await bus.close();
  });
});
