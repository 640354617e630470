import { z } from 'zod';
import { defineEvent, defineRequest, type RequestContract } from './contract';
import { certificateFacts } from './certificate-facts.schema';
import { issueReason } from './ca.contracts';
import { schemaIssues } from './schema-issues';
import { dataplaneClientMessage, type DataplaneClientMessage } from './dataplane-client.messages';
import { dataplaneServerMessage, type DataplaneServerMessage } from './dataplane-server.messages';

/**
 * The dataplane stream: one long-lived gRPC bidirectional stream per dataplane, to any mesh-api replica.
 * Messages are JSON, each bound to its zod schema (`dataplane-client.messages.ts` for what a dataplane
 * sends, `dataplane-server.messages.ts` for what it is sent) and checked when encoded and decoded, so the
 * sidecar, the simulated fleet of the benchmark and the server speak exactly one protocol.
 *
 *   dataplane                         mesh-api
 *     hello (token, session, CSR) ──▶
 *                                 ◀── identity (cert, chain, trust bundle, mode)
 *     ack (serial) ───────────────▶
 *                                 ◀── csr-request (rotation, mesh change, ...)
 *     csr ────────────────────────▶
 *     csr (reason: renewal) ──────▶     unasked: its rotation is overdue and no new certificate came
 *                                 ◀── identity ...      ◀── trust (bundle changed)   ◀── withdrawn (mTLS off)
 *                                 ◀── traffic (after the first identity, then on every change of the
 *                                     dataplane's inbounds/outbounds, permissions or upstream endpoints)
 *
 * Refusals end the stream with a gRPC status (UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND,
 * INVALID_ARGUMENT, FAILED_PRECONDITION, RESOURCE_EXHAUSTED, ABORTED) and a message that says why; the
 * ends a dataplane must act on in a particular way also carry the trailer {@link STREAM_END_TRAILER}.
 */
export const DATAPLANE_STREAM_PATH = '/meshtls.dataplane.v1.DataplaneIdentity/Stream';

/**
 * Trailer (gRPC metadata sent with the status) naming why the control plane ended a stream, when the
 * dataplane must do something particular about it:
 * - `replaced` (ABORTED): a newer stream of the same dataplane took over; reconnecting at once would only
 *   take it back, so the dataplane backs off, longer each time it is replaced.
 * - `csr-refused` (INVALID_ARGUMENT): its CSR was refused (its signature does not verify, or it cannot be
 *   read); the dataplane makes a new key and CSR before it connects again, never sends the same one.
 * - `rate-limited` (RESOURCE_EXHAUSTED): the dataplane was given as many certificates as it may be for
 *   now; it connects again after a backoff.
 */
export const STREAM_END_TRAILER = 'meshtls-end-reason';
export const STREAM_END_REASONS = ['replaced', 'csr-refused', 'rate-limited'] as const;
export type StreamEndReason = (typeof STREAM_END_REASONS)[number];

/**
 * The largest message a dataplane is sent, encoded (4 MiB: what gRPC clients accept by default). A
 * message above it, or one failing its schema, is never written to the stream.
 */
export const MAX_DATAPLANE_SERVER_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Encodes a message after checking it against its schema; a bad message never reaches the wire. */
function codec<T>(schema: z.ZodType<T>) {
  return {
    serialize: (value: T): Buffer => Buffer.from(JSON.stringify(schema.parse(value))),
    deserialize: (bytes: Buffer): T => schema.parse(JSON.parse(bytes.toString('utf8'))),
  };
}

const clientCodec = codec(dataplaneClientMessage);
const serverCodec = codec(dataplaneServerMessage);

/**
 * What the stream would refuse to carry in `message`: schema violations (paths and zod's messages, no
 * value quoted) or its encoded size above {@link MAX_DATAPLANE_SERVER_MESSAGE_BYTES}; undefined when
 * it may be sent. For checking a message before it is written, so a bad one is reported, not a broken
 * stream.
 */
export function dataplaneServerMessageProblem(message: DataplaneServerMessage): string | undefined {
  const result = dataplaneServerMessage.safeParse(message);
  if (!result.success) return schemaProblem(result.error);
  const bytes = Buffer.byteLength(JSON.stringify(result.data));
  return bytes > MAX_DATAPLANE_SERVER_MESSAGE_BYTES
    ? `is ${bytes} bytes, above the ${MAX_DATAPLANE_SERVER_MESSAGE_BYTES} a dataplane accepts`
    : undefined;
}

/** Zod's issues as a reason: the paths and zod's messages (at most three), never a value. */
function schemaProblem(error: z.ZodError): string {
  return `does not match its schema (${schemaIssues(error, 3)})`;
}

/**
 * A message a dataplane sent, decoded from its bytes; or why it cannot be: not JSON, or not one of
 * the messages of `dataplane-client.messages.ts` (the fields that are wrong, no value quoted).
 */
export function decodeDataplaneClientMessage(
  bytes: Buffer,
): { message: DataplaneClientMessage; problem?: undefined } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problem: 'is not JSON' };
  }
  const result = dataplaneClientMessage.safeParse(json);
  return result.success ? { message: result.data } : { problem: schemaProblem(result.error) };
}

/**
 * The gRPC method, in the shape `@grpc/grpc-js` takes for a service definition (structurally typed, so
 * this library needs no gRPC dependency).
 */
export const dataplaneStreamMethod = Object.freeze({
  path: DATAPLANE_STREAM_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: clientCodec.serialize,
  requestDeserialize: clientCodec.deserialize,
  responseSerialize: serverCodec.serialize,
  responseDeserialize: serverCodec.deserialize,
  originalName: 'stream',
});

export const dataplaneIdentityService = Object.freeze({ stream: dataplaneStreamMethod });

/**
 * rotation-scheduler → the mesh-api replica holding a dataplane's stream: re-issue its certificate.
 * Addressed to one instance with {@link addressedTo}. `serial` names the lease's certificate, the one to
 * replace; the holder rotates only that certificate, only once its lease is due, and only within the
 * dataplane's issuance rate, so a replayed or forged request re-issues nothing:
 * - `stale`: the dataplane holds another certificate (already rotated, or reconnected);
 * - `not-due`: the certificate's rotation time has not come;
 * - `rate-limited`: the dataplane was issued as many certificates as it may be for now; ask again after
 *   `retryAfterMs`.
 */
export const rotateDataplane = defineRequest({
  subject: 'mesh.dataplane.rotate.v1',
  request: z.object({
    mesh: z.string(),
    dataplane: z.string(),
    serial: z.string().min(1).max(128),
    reason: issueReason,
  }),
  reply: z.object({
    status: z.enum(['rotated', 'not-connected', 'stale', 'not-due', 'rate-limited', 'failed']),
    detail: z.string().optional(),
    retryAfterMs: z.number().int().nonnegative().optional(),
  }),
  timeoutMs: 30_000,
});

/**
 * The same contract on a subject of its own for one instance, e.g. `mesh.dataplane.rotate.v1.<hex>`;
 * the instance id is hex-encoded so any id (dots, capitals) makes one valid subject token.
 */
export function addressedTo<Q, R>(contract: RequestContract<Q, R>, instance: string): RequestContract<Q, R> {
  if (instance.length === 0) throw new Error('addressedTo: empty instance');
  return Object.freeze({
    ...contract,
    subject: `${contract.subject}.i${Buffer.from(instance, 'utf8').toString('hex')}`,
  });
}

/**
 * mesh-api → everyone: a dataplane was given a certificate (or, `withdrawn`, lost it when mTLS was turned
 * off). Other replicas learn which upstreams hold one (PERMISSIVE clients reach the others in plaintext).
 */
export const dataplaneCertificateIssued = defineEvent({
  subject: 'mesh.dataplane.certificate.v1',
  payload: z.object({
    mesh: z.string(),
    dataplane: z.string(),
    reason: z.string(),
    /** Its facts (serial, validity, backend, the backends trusted at the time); serial empty when withdrawn. */
    ...certificateFacts.shape,
    /** When it was issued (or withdrawn). */
    time: z.string(),
    controlPlaneInstance: z.string(),
    withdrawn: z.boolean(),
  }),
});

/** mesh-api → everyone: a dataplane's stream opened or ended (for insights: online, offline, where). */
export const dataplaneConnection = defineEvent({
  subject: 'mesh.dataplane.connection.v1',
  payload: z.object({
    mesh: z.string(),
    dataplane: z.string(),
    /** Unique per stream. */
    streamId: z.string(),
    controlPlaneInstance: z.string(),
    kind: z.enum(['connected', 'disconnected']),
    /** When the stream opened. */
    connectTime: z.string(),
    /** When it ended (`disconnected` only). */
    disconnectTime: z.string().optional(),
    /** Why it ended, when the control plane ended it for a reason insights show (`disconnected` only). */
    endReason: z.enum(['replaced']).optional(),
  }),
});
