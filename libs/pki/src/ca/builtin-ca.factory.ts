import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { meshTrustDomainUri } from '@meshtls/domain';
import { selfSignedCaCertificate } from './self-signed-ca';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface BuiltinCaInput {
  readonly mesh: string;
  readonly backend: string;
  /** RSA modulus size (conf.caCert.RSAbits, 2048 by default). */
  readonly rsaBits: number;
  /** conf.caCert.expiration (10 years by default), in milliseconds. */
  readonly validityMs: number;
  readonly now: Date;
}

/** A CA as stored in the backend's two Secrets. */
export interface CaMaterial {
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
}

/**
 * Creates a builtin backend's root CA: a fresh RSA key (generated off the event loop), self-signed,
 * CA:TRUE and keyCertSign + cRLSign (critical), SAN `spiffe://{mesh}`, subject naming mesh and backend
 * (`O=meshtls, OU=backend {backend}, CN={mesh}`: two backends of a mesh never share a subject, so a
 * peer trusting both during a CA switch finds each issuer unambiguously).
 */
export async function createBuiltinCa(input: BuiltinCaInput): Promise<CaMaterial> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: input.rsaBits });
  const certPem = builtinCaCertificate({ ...input, privateKey, publicKey });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

export interface BuiltinCaCertificateInput {
  readonly mesh: string;
  readonly backend: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly validityMs: number;
  readonly now: Date;
}

/**
 * The certificate of a builtin backend's CA for a given key pair. Used by createBuiltinCa, and to finish
 * the work of a creator that stored the key but died before storing its certificate.
 */
export function builtinCaCertificate(input: BuiltinCaCertificateInput): string {
  return selfSignedCaCertificate({
    privateKey: input.privateKey,
    publicKey: input.publicKey,
    subject: {
      organization: 'meshtls',
      organizationalUnit: `backend ${input.backend}`,
      commonName: input.mesh,
    },
    uris: [meshTrustDomainUri(input.mesh)],
    validityMs: input.validityMs,
    now: input.now,
  });
}
