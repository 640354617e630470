import { z } from 'zod';
import type { CertificateFacts } from '@meshtls/domain';

/** Bounds of each field as read from a peer: a serial's hex with room for a leading zero byte, an RFC 3339 time, a resource name. */
const SERIAL_HEX_MAX = 64;
const TIME_MAX = 64;
const NAME_MAX = 253;

/**
 * The wire form of `CertificateFacts` (domain): the fields every message describing a dataplane
 * certificate carries, declared once. Spread into a message's schema (`...certificateFacts.shape`), or
 * without `supportedBackends` where the message carries the trust bundle itself.
 */
export const certificateFacts = z.object({
  /** Hex; a serial is at most 20 bytes (RFC 5280). Empty in an event of a withdrawn identity. */
  serial: z.string().max(SERIAL_HEX_MAX),
  notBefore: z.string().max(TIME_MAX),
  notAfter: z.string().max(TIME_MAX),
  backend: z.string().max(NAME_MAX),
  supportedBackends: z.array(z.string().max(NAME_MAX)),
}) satisfies z.ZodType<CertificateFacts>;

/** The facts of a certificate as ca-signer states them (the trust bundle is mesh-api's to build). */
export const signedCertificateFacts = certificateFacts.omit({ supportedBackends: true });
