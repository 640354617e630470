/** Messages of provided-CA validation. Those up to keyUnreadable are Kuma's, word for word. */
export const ProvidedCaMessages = {
  notCa: "basic constraint 'CA' must be set to 'true' (see X509-SVID: 4.1. Basic Constraints)",
  noKeyCertSign: "key usage extension 'keyCertSign' must be set (see X509-SVID: 4.3. Key Usage)",
  keyAgreement:
    "key usage extension 'keyAgreement' must NOT be set (see X509-SVID: Appendix A. X.509 Field Reference)",
  notCertificate: 'not a valid x509 certificate',
  /** Kuma reports every key pair problem on `cert`, with Go's TLS error after this prefix. */
  noCertificatePem: 'not a valid TLS key pair: tls: failed to find any PEM data in certificate input',
  noKeyPem: 'not a valid TLS key pair: tls: failed to find any PEM data in key input',
  certificateAsKey:
    'not a valid TLS key pair: tls: found a certificate rather than a key in the PEM for the private key',
  keyMismatch: 'not a valid TLS key pair: tls: private key does not match public key',
  keyUnreadable: 'not a valid TLS key pair: tls: failed to parse private key',
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
