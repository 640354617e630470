import type { NatsConnection } from 'nats';
import { connectNats } from '@meshtls/bus';
import { startNatsServer, type NatsServerHandle } from '@meshtls/testing';
import type { Clock } from '@meshtls/util';
import { NatsKvResourceStore } from './nats-kv-resource.store';

/** What `natsForSpecFile` holds while the file's tests run. */
export interface SpecNats {
  server: NatsServerHandle;
  nc: NatsConnection;
  /** A bucket name no test of the file has used yet. */
  nextBucket(): string;
}

/** One nats-server and a connection to it for a whole spec file: started before its tests, stopped after. */
export function natsForSpecFile(name: string): SpecNats {
  let buckets = 0;
  const nats = { nextBucket: () => `resources-${++buckets}` } as SpecNats;
  beforeAll(async () => {
    nats.server = await startNatsServer();
    nats.nc = await connectNats({ servers: nats.server.url, name });
  });
  afterAll(async () => {
    await nats.nc?.close();
    await nats.server?.stop();
  });
  return nats;
}

/** Two stores on one new bucket, the second over its own connection: opened before each test, closed after. */
export interface TwoClients {
  store: NatsKvResourceStore;
  other: NatsKvResourceStore;
  otherNc: NatsConnection;
  bucket: string;
}

export function twoClientsOnOneBucket(nats: SpecNats, clock: Clock, name: string): TwoClients {
  const clients = {} as TwoClients;
  beforeEach(async () => {
    clients.otherNc = await connectNats({ servers: nats.server.url, name });
    clients.bucket = nats.nextBucket();
    clients.store = await NatsKvResourceStore.connect({ nc: nats.nc, bucket: clients.bucket, clock });
    clients.other = await NatsKvResourceStore.connect({ nc: clients.otherNc, bucket: clients.bucket, clock });
  });
  afterEach(async () => {
    await clients.store.close();
    await clients.other.close();
    await clients.otherNc.close();
  });
  return clients;
}
