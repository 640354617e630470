import type { ChannelCredentials } from '@grpc/grpc-js';
import type { DataplaneTrafficMessage } from '@meshtls/contracts';
import type { KeyType } from '@meshtls/domain';
import type { DataplaneIdentity } from './identity';
import type { RenewalTimers } from './renewal';

/** What a DataplaneAgent (dataplane-agent.ts) is given: whom it talks to, who it is, how it renews. */
export interface DataplaneAgentOptions {
  /** `host:port` of mesh-api replicas, tried in turn (failover). */
  readonly cpAddresses: readonly string[];
  /** PEM of the CA that signed the control plane's server certificate. */
  readonly caCertPem: string;
  readonly mesh: string;
  readonly name: string;
  readonly token: string;
  /** The Dataplane resource (universal form) to create or update at connect time; else it must exist. */
  readonly dataplane?: Record<string, unknown>;
  readonly keyType?: KeyType;
  /** Where to write cert.pem, key.pem and ca.pem for applications; nothing is written without it. */
  readonly certDir?: string;
  /** Server name checked against the control plane's certificate; defaults to the address's host. */
  readonly serverName?: string;
  /** Extra gRPC channel options. */
  readonly channelOptions?: Record<string, string | number>;
  /**
   * TLS credentials to use instead of making them from `caCertPem`. gRPC shares one connection between
   * clients with the same target, options and credentials object: a simulated fleet passes one object
   * to many agents to multiplex them; a sidecar leaves it out and has a connection of its own.
   */
  readonly credentials?: ChannelCredentials;
  readonly backoff?: (attempt: number) => number;
  /** The wait after the `n`th time (from 0) a newer stream of the same dataplane replaced this one's. */
  readonly replacedBackoff?: (n: number) => number;
  /**
   * Whether it asks for a new certificate itself once the control plane is late rotating the one it
   * holds (default true): at `renewAtOf` of the domain's rotation rules (rotateAt + 10 % of the validity,
   * at least 5 s, by 95 % of it at the latest), then again with backoff until one comes. Off, it waits for
   * the control plane as a sidecar that does not renew on its own does (drills simulate those).
   */
  readonly renew?: boolean;
  /** Replaces the default grace past rotateAt before it asks itself. */
  readonly renewalGraceMs?: number;
  /** Timers and clock of the renewal (tests). */
  readonly renewalTimers?: RenewalTimers;
}

/** The events a DataplaneAgent emits, with their arguments. */
export interface AgentEvents {
  identity: [DataplaneIdentity];
  trust: [string];
  withdrawn: [string];
  traffic: [DataplaneTrafficMessage];
  connected: [string];
  disconnected: [{ address: string; code: number; details: string }];
  refused: [{ address: string; code: number; details: string }];
  /** Another process with this dataplane's name connected: this one waits `retryInMs` before it tries again. */
  replaced: [{ address: string; details: string; times: number; retryInMs: number }];
  /** The control plane refused a CSR: a new key and CSR are made for the next attempt. */
  csrRefused: [{ address: string; details: string }];
  /** It asked for a new certificate itself: `serial`, held past `renewAt`, is rotated late. */
  renewalRequested: [{ serial: string; rotateAt: string; renewAt: string; notAfter: string }];
}
