import { z } from 'zod';

/**
 * The messages a dataplane sends on the dataplane stream (see `dataplane.contracts.ts`): hello, csr and
 * ack, each bound to its zod schema.
 */

const csrPem = z.string().max(16 * 1024);

const helloMessage = z.object({
  type: z.literal('hello'),
  mesh: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
  /** A dataplane token (`POST /tokens/dataplane`), bound to mesh and name. */
  token: z
    .string()
    .min(1)
    .max(8 * 1024),
  /** Random per dataplane process: a new session means the dataplane restarted. */
  session: z.string().min(8).max(128),
  /** The dataplane's CSR; without one the control plane makes an RSA key (Kuma's behaviour). */
  csrPem: csrPem.optional(),
  /** Names the CSR's key: the identity answering it carries the same `requestId`. */
  requestId: z.string().min(1).max(128).optional(),
  /**
   * The Dataplane resource in its universal form, created or updated at connect time (as kuma-dp does);
   * without it the resource must already exist.
   */
  dataplane: z.record(z.string(), z.unknown()).optional(),
  version: z.string().max(64).optional(),
});

/**
 * The answer to a `csr-request` (same `requestId`); or, with `reason: 'renewal'`, sent unasked: the
 * dataplane's certificate is past its rotation time by the grace (see `renewAtOf` in the domain's
 * rotation rules) and no new one came, e.g. while no rotation scheduler runs. The control plane issues
 * for it only when the certificate it gave this dataplane is due or expired, and ignores it otherwise.
 * The identity answering it carries its `requestId`.
 */
const csrMessage = z.object({
  type: z.literal('csr'),
  requestId: z.string().min(1).max(128),
  csrPem,
  reason: z.enum(['renewal']).optional(),
});

const ackMessage = z.object({
  type: z.literal('ack'),
  serial: z.string().max(64),
  /**
   * The `bundleId` of the trust bundle now in use: sent with the acknowledgement of a `trust` message
   * (a CA switch waits for every online dataplane to acknowledge the bundle holding the new CA).
   */
  bundle: z.string().max(128).optional(),
  /** Set when the dataplane could not apply what it was sent; it keeps its previous identity. */
  error: z.string().max(1024).optional(),
});

export const dataplaneClientMessage = z.discriminatedUnion('type', [helloMessage, csrMessage, ackMessage]);
export type DataplaneClientMessage = z.infer<typeof dataplaneClientMessage>;
export type DataplaneHello = z.infer<typeof helloMessage>;
