import { z } from 'zod';
import type { CertificateFacts } from '@meshtls/domain';

/**
 * The wire form of `CertificateFacts` (domain): the fields every message describing a dataplane
 * certificate carries, declared once. Spread into a message's schema (`...certificateFacts.shape`), or
 * without `supportedBackends` where the message carries the trust bundle itself.
 */
export const certificateFacts = z.object({
  serial: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  backend: z.string(),
  supportedBackends: z.array(z.string()),
}) satisfies z.ZodType<CertificateFacts>;

/** The facts of a certificate as ca-signer states them (the trust bundle is mesh-api's to build). */
export const signedCertificateFacts = certificateFacts.omit({ supportedBackends: true });
