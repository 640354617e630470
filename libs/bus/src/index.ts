// Port: the message bus the application depends on.
export type { MessageBus, Subscription } from './ports/message.bus';

// Message buses (in-process, NATS) and the NATS connection (the NATS KV store connects through it too).
export { InProcessBus } from './adapters/in-process.bus';
export { NatsBus } from './adapters/nats.bus';
export { connectNats } from './adapters/nats-connection';
export type { ConnectNatsOptions, NatsClientCredentials } from './adapters/nats-connection';
