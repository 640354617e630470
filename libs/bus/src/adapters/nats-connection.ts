import { readFileSync } from 'node:fs';
import {
  ErrorCode,
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from 'nats';
import { CredentialsRefusedError } from '@meshtls/util';

/** How a client proves who it is to NATS (the server's permissions for that user decide the rest). */
export type NatsClientCredentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'user'; readonly user: string; readonly password: string }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'nkey'; readonly seedFile: string }
  | { readonly kind: 'creds'; readonly credsFile: string };

export interface ConnectNatsOptions {
  /** One URL or several (any member of a cluster), e.g. `nats://127.0.0.1:4222`. */
  readonly servers: string | readonly string[];
  /** Shown by the server for this client, e.g. `ca-signer-1`. */
  readonly name: string;
  /** Keep trying when no server answers at start (default false: fail fast so a bad URL is seen). */
  readonly waitOnFirstConnect?: boolean;
  /** Pause between reconnect attempts (default 500 ms; the client adds jitter). */
  readonly reconnectTimeWaitMs?: number;
  /** Default: none (a server that requires authentication refuses the connection). */
  readonly credentials?: NatsClientCredentials;
  /** TLS files: the CA that signed the server's certificate, and this client's certificate and key. */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** Subject prefix of this client's reply inboxes (default `_INBOX`); lets permissions keep replies private. */
  readonly inboxPrefix?: string;
}

/**
 * The one NATS connection a process shares between its stores and its bus. Once connected it reconnects
 * forever: a control plane must ride out a NATS restart or the loss of one cluster member, never give up.
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  return connect({
    servers: typeof options.servers === 'string' ? options.servers : [...options.servers],
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 500,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
    // nats.js otherwise builds an Error (a stack trace) per request, for async traces: measurable CPU on
    // the issuance hot path of a replica serving thousands of dataplanes.
    noAsyncTraces: true,
    ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
    ...(options.tls ? { tls: { ...options.tls } } : {}),
    ...credentialOptions(options.credentials ?? { kind: 'none' }),
  }).catch((error: unknown) => {
    const code = (error as { code?: unknown })?.code;
    if (code === ErrorCode.AuthorizationViolation || code === ErrorCode.AuthenticationExpired) {
      throw new CredentialsRefusedError('nats', (error as Error).message, { cause: error });
    }
    throw error;
  });
}

function credentialOptions(credentials: NatsClientCredentials): Partial<ConnectionOptions> {
  switch (credentials.kind) {
    case 'none':
      return {};
    case 'user':
      return { user: credentials.user, pass: credentials.password };
    case 'token':
      return { token: credentials.token };
    case 'nkey':
      // Read again at every (re)connect, so a rotated seed file is picked up.
      return { authenticator: nkeyAuthenticator(() => seedOf(credentials.seedFile)) };
    case 'creds':
      return { authenticator: credsAuthenticator(() => readFileSync(credentials.credsFile)) };
  }
}

/** An nkey seed file holds the seed (`SU...`) alone, maybe with surrounding whitespace. */
function seedOf(file: string): Uint8Array {
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}
