import { ISSUANCE_LIMIT_DEFAULTS, type IssuanceLimit } from '@meshtls/domain';
import { ConfigError } from '@meshtls/util';
import { z } from 'zod';
import { durationSetting, parseEnvironment } from '@meshtls/nest-core';

/** The dataplane server (gRPC over TLS) of mesh-api. */
export interface DpServerConfig {
  /** Where it listens; defaults to MESH_HTTP_ADDRESS at start-up. */
  readonly address?: string;
  readonly port: number;
  /** The server certificate and key; both or neither (then generated once into the data directory). */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Names and addresses a generated certificate is valid for. */
  readonly hostnames: readonly string[];
  /** How long a dataplane has to answer a request for a CSR. */
  readonly csrTimeoutMs: number;
  /** Certificate requests in flight from this replica to ca-signer. */
  readonly maxIssuesInFlight: number;
  /** How long one certificate request waits for ca-signer's answer before it is asked again. */
  readonly issueAttemptTimeoutMs: number;
  /** How often the leases of connected dataplanes are checked (and restored if the store lost them). */
  readonly leaseCheckMs: number;
  /** Certificates one dataplane may be issued by this replica, whatever asks. */
  readonly issuanceLimit: IssuanceLimit;
  /** How long an online dataplane may take to acknowledge what a CA switch waits for before its stream is ended. */
  readonly caSwitchAckTimeoutMs: number;
  /** A CA switch pending longer than this is reported stuck (`mesh_ca_switch_stuck`, a warning in the log). */
  readonly caSwitchAlertAfterMs: number;
  /** HTTP/2 keepalive of dataplane connections: a ping after this long without one... */
  readonly keepaliveTimeMs: number;
  /** ...and the connection is closed (the dataplane goes offline) when its answer takes longer than this. */
  readonly keepaliveTimeoutMs: number;
  /** How long a new stream may go without its hello (and token) before it is ended; 0: no limit. */
  readonly helloTimeoutMs: number;
  /** Streams one connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxStreamsPerConnection: number;
}

const envSchema = z.object({
  MESH_DP_SERVER_ADDRESS: z.string().min(1).optional(),
  MESH_DP_SERVER_PORT: z.coerce.number().int().min(0).max(65535).default(5678),
  MESH_DP_SERVER_CERT_FILE: z.string().min(1).optional(),
  MESH_DP_SERVER_KEY_FILE: z.string().min(1).optional(),
  MESH_DP_SERVER_HOSTNAMES: z
    .string()
    .regex(/^[A-Za-z0-9.:-]+(,[A-Za-z0-9.:-]+)*$/, 'must be a comma-separated list of host names or IPs')
    .default('localhost,127.0.0.1'),
  MESH_DP_CSR_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  MESH_DP_MAX_ISSUES_IN_FLIGHT: z.coerce.number().int().min(1).default(64),
  MESH_DP_ISSUE_ATTEMPT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  MESH_DP_LEASE_CHECK_MS: z.coerce.number().int().min(100).default(30_000),
  MESH_DP_ISSUE_RATE_PER_MINUTE: z.coerce
    .number()
    .positive()
    .max(60_000)
    .default(ISSUANCE_LIMIT_DEFAULTS.perMinute),
  MESH_CA_SWITCH_ACK_TIMEOUT: durationSetting('5m'),
  MESH_CA_SWITCH_ALERT_AFTER: durationSetting('15m'),
  MESH_DP_KEEPALIVE_TIME: durationSetting('20s'),
  MESH_DP_KEEPALIVE_TIMEOUT: durationSetting('10s'),
  MESH_DP_HELLO_TIMEOUT: durationSetting('10s', { off: true }),
  MESH_DP_MAX_STREAMS_PER_CONNECTION: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  MESH_DP_ISSUE_BURST: z.coerce.number().int().min(1).max(10_000).default(ISSUANCE_LIMIT_DEFAULTS.burst),
});

export function loadDpServerConfig(env: Record<string, string | undefined>): DpServerConfig {
  const e = parseEnvironment(envSchema, env);
  if ((e.MESH_DP_SERVER_CERT_FILE === undefined) !== (e.MESH_DP_SERVER_KEY_FILE === undefined)) {
    throw new ConfigError(
      'invalid configuration:\n  MESH_DP_SERVER_CERT_FILE, MESH_DP_SERVER_KEY_FILE: set both or neither',
    );
  }
  return Object.freeze({
    address: e.MESH_DP_SERVER_ADDRESS,
    port: e.MESH_DP_SERVER_PORT,
    certFile: e.MESH_DP_SERVER_CERT_FILE,
    keyFile: e.MESH_DP_SERVER_KEY_FILE,
    hostnames: Object.freeze(e.MESH_DP_SERVER_HOSTNAMES.split(',')),
    csrTimeoutMs: e.MESH_DP_CSR_TIMEOUT_MS,
    maxIssuesInFlight: e.MESH_DP_MAX_ISSUES_IN_FLIGHT,
    issueAttemptTimeoutMs: e.MESH_DP_ISSUE_ATTEMPT_TIMEOUT_MS,
    leaseCheckMs: e.MESH_DP_LEASE_CHECK_MS,
    issuanceLimit: Object.freeze({
      perMinute: e.MESH_DP_ISSUE_RATE_PER_MINUTE,
      burst: e.MESH_DP_ISSUE_BURST,
    }),
    caSwitchAckTimeoutMs: e.MESH_CA_SWITCH_ACK_TIMEOUT,
    caSwitchAlertAfterMs: e.MESH_CA_SWITCH_ALERT_AFTER,
    keepaliveTimeMs: e.MESH_DP_KEEPALIVE_TIME,
    keepaliveTimeoutMs: e.MESH_DP_KEEPALIVE_TIMEOUT,
    helloTimeoutMs: e.MESH_DP_HELLO_TIMEOUT,
    maxStreamsPerConnection: e.MESH_DP_MAX_STREAMS_PER_CONNECTION,
  });
}
