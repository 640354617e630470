import { z } from 'zod';
import { defineRequest } from '@meshtls/contracts';
import { startNatsServer, type NatsServerHandle } from '@meshtls/testing';
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
