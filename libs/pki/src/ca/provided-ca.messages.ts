/** Messages of provided-CA validation. The first five are Kuma's, word for word. */
export const ProvidedCaMessages = {
  notCa: "basic constraint 'CA' must be set to 'true' (see X509-SVID: 4.1. Basic Constraints)",
  noKeyCertSign: "key usage extension 'keyCertSign' must be set (see X509-SVID: 4.3. Key Usage)",
  keyAgreement:
    "key usage extension 'keyAgreement' must NOT be set (see X509-SVID: Appendix A. X.509 Field Reference)",
  notCertificate: 'not a valid x509 certificate',
  keyMismatch: 'not a valid TLS key pair',
  keyUnreadable:
    'not a valid TLS key pair: the key is not a PEM RSA or EC private key (PKCS#1, SEC1 or PKCS#8)',
  expired: (notAfter: Date) => `the CA certificate expired on ${notAfter.toISOString()}`,
  notYetValid: (notBefore: Date) => `the CA certificate is not valid before ${notBefore.toISOString()}`,
  chainBroken: (next: number) =>
    `the certificate is not signed by the next certificate of the chain (cert[${next}]): ` +
    'put the signing CA first, then each issuer in order up to the root',
} as const;

/** Warnings: accepted, but worth telling the user. */
export const ProvidedCaWarnings = {
  usage: (field: string, usage: string) =>
    `${field}: key usage '${usage}' is set on a CA certificate; X509-SVID signing certificates ` +
    `need only keyCertSign (and cRLSign) (see X509-SVID: 4.3. Key Usage)`,
  noRoot: (field: string) =>
    `${field}: the last certificate of the chain is not self-signed; dataplanes will trust it as the root`,
} as const;
