// Errors other projects map.
export { CaValidationError, CSR_INVALID } from './pki.errors';

// CAs: the builtin one, the provided one's check, self-signed roots, signing.
export { createBuiltinCa, builtinCaCertificate } from './ca/builtin-ca.factory';
export { validateProvidedCa } from './ca/provided-ca.validator';
export { SigningCa, IssuedCheck } from './ca/signing-ca';
export { selfSignedCaCertificate } from './ca/self-signed-ca';

// Keys and CSRs.
export { generateKeyPairOf, generateLeafKey } from './keys/leaf-key.generator';
export { csrPublicKeyDer, verifyCsr } from './csr/csr.verifier';
export { createCsr } from './csr/csr.builder';

// X.509: PEM, checks of issued certificates, reading their fields.
export { checkIssued, sanUris } from './x509/issued-certificate.validator';
export { PemLabel, pemBlocks } from './x509/pem';
export { checkAnswered } from './x509/minted-certificate.validator';
export { readCertificateFields } from './x509/certificate-fields.reader';
export { BACKDATE_MS } from './x509/validity';

// DER read by offsets (the sidecar trims the TLS sessions it keeps).
export { DerFormatError, derBytes, derChildren, derContents, readDer } from './der/der.reader';
export { derSequence } from './der/der.writer';

// TLS server identities.
export { createServerIdentity } from './tls/server-identity';

// Dataplane tokens (JWT).
export { signJwt } from './token/jwt.signer';
export { decodeJwt, MAX_JWT_LENGTH } from './token/jwt.decoder';
export type { DecodedJwt } from './token/jwt.decoder';
export { verifyJwtSignature } from './token/jwt.verifier';
