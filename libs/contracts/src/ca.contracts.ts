import { z } from 'zod';
import { defineRequest } from './contract';
import { signedCertificateFacts } from './certificate-facts.schema';

/**
 * The longest wait a shed answer may ask for, and the longest reason a refusal may carry: an answer read
 * from the bus asks for no busy loop (0 ms) and no wait past any deadline, and puts no unbounded text into
 * errors and logs.
 */
export const RETRY_AFTER_MAX_MS = 3_600_000;
const REASON_MAX = 1024;
const reason = z.string().max(REASON_MAX);

const violation = z.object({ field: z.string(), message: z.string() });

/** Who made the API request a bus request serves, as mesh-api authenticated it. */
export const apiCaller = z.enum(['admin', 'anonymous']);
export type ApiCaller = z.infer<typeof apiCaller>;

/**
 * mesh-api → ca-signer, before a Mesh is stored: checks every backend of `mtls` (provided CAs are read
 * from their data sources and validated; builtin ones only by shape). Violations use the Mesh's field
 * paths (`mtls.backends[1].conf.cert[0]`); warnings do not block. `caller` is who asked mesh-api: only
 * for `admin` does a violation say why a `file` source could not be read (missing, unreadable, not a
 * regular file, too large); without it the caller is taken as anonymous.
 */
export const validateMtls = defineRequest({
  subject: 'mesh.ca.validate-mtls.v1',
  request: z.object({ mesh: z.string(), mtls: z.unknown(), caller: apiCaller.optional() }),
  reply: z.object({ violations: z.array(violation), warnings: z.array(z.string()) }),
  timeoutMs: 10_000,
});

/**
 * mesh-api → ca-signer, before a Mesh is stored: makes sure every builtin backend has its CA Secrets
 * (`{mesh}.ca-builtin-cert-{backend}` / `-key-`), creating each exactly once even when replicas race.
 */
export const ensureCaBackends = defineRequest({
  subject: 'mesh.ca.ensure-backends.v1',
  request: z.object({ mesh: z.string(), mtls: z.unknown() }),
  reply: z.object({ created: z.array(z.string()), existing: z.array(z.string()) }),
  // An RSA-4096 CA key can take seconds to generate on a busy machine.
  timeoutMs: 60_000,
});

/**
 * Why a certificate is issued: `new` (first connect), `rotation` (4/5 of the validity passed), `restart`
 * (the dataplane restarted), `reconnect` (it connected to another replica), `control-plane-restart` (the
 * replica it is connected to restarted), `mesh-change` (the mesh's mTLS changed) and `dataplane-change`
 * (its tags changed). `new` and `restart` mean the dataplane holds no certificate: they go first.
 */
export const ISSUE_REASONS = [
  'new',
  'rotation',
  'restart',
  'reconnect',
  'control-plane-restart',
  'mesh-change',
  'dataplane-change',
] as const;
export const issueReason = z.enum(ISSUE_REASONS);
export type IssueReason = z.infer<typeof issueReason>;

const issuedCertificate = z.object({
  /** Leaf certificate PEM. */
  certPem: z.string(),
  /** PEM of the intermediates between the leaf and the trust anchor, leaf-most first; empty for a root CA. */
  chainPem: z.string(),
  ...signedCertificateFacts.shape,
  uris: z.array(z.string()),
});
export type IssuedCertificateDto = z.infer<typeof issuedCertificate>;

const trustAnchor = z.object({ backend: z.string(), certPem: z.string() });
export type TrustAnchorDto = z.infer<typeof trustAnchor>;

/**
 * A dataplane certificate from ca-signer. The identity comes from the stored Dataplane, never from the
 * request; the CSR (always sent: no private key ever crosses the bus) only contributes its public key.
 * The request names the Mesh and Dataplane revisions mesh-api acted on and the backend it chose from
 * that Mesh: ca-signer signs exactly those (waiting, bounded, for its store to hold them), or answers
 * `stale` and signs nothing. When ca-signer is saturated it answers `shed` with how long to wait,
 * instead of queueing without bound.
 */
export const issueCertificate = defineRequest({
  subject: 'mesh.ca.issue.v1',
  request: z.object({
    mesh: z.string(),
    dataplane: z.string(),
    csrPem: z.string().max(16 * 1024),
    reason: issueReason,
    meshVersion: z.number().int().positive(),
    dataplaneVersion: z.number().int().positive(),
    backend: z.string().min(1),
    /** Correlates one request across retries and logs. */
    requestId: z.string().min(1).max(128),
  }),
  reply: z.discriminatedUnion('status', [
    z.object({
      status: z.literal('issued'),
      certificate: issuedCertificate,
      trustBundle: z.array(trustAnchor),
    }),
    z.object({
      status: z.literal('shed'),
      retryAfterMs: z.number().int().min(1).max(RETRY_AFTER_MAX_MS),
      reason,
    }),
    z.object({ status: z.literal('stale'), reason }),
  ]),
  timeoutMs: 10_000,
});

/**
 * mesh-api → ca-signer: the trust anchors of every backend of a mesh, for dataplanes whose certificate
 * stays but whose bundle changes (a backend added or removed during a CA switch).
 */
export const trustBundle = defineRequest({
  subject: 'mesh.ca.trust-bundle.v1',
  request: z.object({ mesh: z.string() }),
  reply: z.object({ trustBundle: z.array(trustAnchor) }),
  timeoutMs: 10_000,
});
