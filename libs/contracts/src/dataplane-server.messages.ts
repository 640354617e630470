import { z } from 'zod';
import { KEY_TYPES } from '@meshtls/domain';
import { certificateFacts } from './certificate-facts.schema';

/**
 * The messages mesh-api sends a dataplane on the dataplane stream (see `dataplane.contracts.ts`):
 * identity, csr-request, trust, withdrawn and traffic, each bound to its zod schema.
 */

/**
 * At most this many MeshTrafficPermissions in one traffic message: the most that may select one
 * dataplane (the REST API refuses a permission that would select a dataplane more often).
 */
export const MAX_TRAFFIC_PERMISSIONS = 10_000;

/** A dataplane's own key: ECDSA P-256 by default, RSA-2048 where an application needs it. */
export const dataplaneKeyType = z.enum(KEY_TYPES);

const pem = z.string().max(64 * 1024);

const trustAnchor = z.object({ backend: z.string(), certPem: pem });

export const mtlsModes = z.enum(['STRICT', 'PERMISSIVE']);

const identityMessage = z.object({
  type: z.literal('identity'),
  reason: z.string(),
  certPem: pem,
  /** Intermediates between the leaf and its trust anchor, leaf-most first; empty for a root CA. */
  chainPem: z.string().max(256 * 1024),
  /** Only when the dataplane sent no CSR. */
  keyPem: pem.optional(),
  /** The `requestId` of the hello or csr message whose key this certificate is for. */
  requestId: z.string().optional(),
  ...certificateFacts.shape,
  rotateAt: z.string(),
  trustBundle: z.array(trustAnchor),
  /** Names this trust bundle; the dataplane acknowledges the identity (and with it the bundle) by serial. */
  bundleId: z.string().max(128).optional(),
  mode: mtlsModes,
  uris: z.array(z.string()),
});
export type DataplaneIdentityMessage = z.infer<typeof identityMessage>;

const csrRequestMessage = z.object({
  type: z.literal('csr-request'),
  requestId: z.string(),
  reason: z.string(),
  keyType: dataplaneKeyType,
});

const trustMessage = z.object({
  type: z.literal('trust'),
  supportedBackends: z.array(z.string()),
  trustBundle: z.array(trustAnchor),
  /** Names this trust bundle: the dataplane acknowledges it with `{type: 'ack', bundle: bundleId}`. */
  bundleId: z.string().max(128).optional(),
});

/** mTLS was disabled on the mesh: the dataplane drops its identity and serves plaintext. */
const withdrawnMessage = z.object({ type: z.literal('withdrawn'), reason: z.string() });

/** An upstream dataplane of a service: the address and inbound port other dataplanes connect to. */
const upstreamEndpoint = z.object({
  address: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  /** False only in PERMISSIVE meshes, for a dataplane not issued a certificate yet: reached in plaintext. */
  mtls: z.boolean(),
});

/**
 * What the dataplane's proxy needs besides its identity: the Dataplane resource as the control plane
 * holds it (inbounds to serve, outbounds to open), the MeshTrafficPermissions selecting its inbounds
 * (decided locally for every connection), and the endpoints of every service it calls. Sent whole; a
 * change sends the whole again.
 */
const trafficMessage = z.object({
  type: z.literal('traffic'),
  /** The Dataplane's spec (`networking`), already validated by the control plane. */
  dataplane: z.record(z.string(), z.unknown()),
  permissions: z
    .array(z.object({ name: z.string(), spec: z.record(z.string(), z.unknown()) }))
    .max(MAX_TRAFFIC_PERMISSIONS),
  endpoints: z
    .array(z.object({ service: z.string(), endpoints: z.array(upstreamEndpoint).max(100_000) }))
    .max(10_000),
});
export type DataplaneTrafficMessage = z.infer<typeof trafficMessage>;
export type UpstreamEndpointDto = z.infer<typeof upstreamEndpoint>;

export const dataplaneServerMessage = z.discriminatedUnion('type', [
  identityMessage,
  csrRequestMessage,
  trustMessage,
  withdrawnMessage,
  trafficMessage,
]);
export type DataplaneServerMessage = z.infer<typeof dataplaneServerMessage>;
