export {
  CaValidationError,
  CsrInvalidError,
  CSR_INVALID,
  IssuedCertificateInvalidError,
  UnsupportedKeyError,
} from './pki.errors';
export { createBuiltinCa, builtinCaCertificate } from './ca/builtin-ca.factory';
export type { BuiltinCaInput, BuiltinCaCertificateInput, CaMaterial } from './ca/builtin-ca.factory';
export { validateProvidedCa } from './ca/provided-ca.validator';
export type { ProvidedCaInput, ProvidedCaReport } from './ca/provided-ca.validator';
export { ProvidedCaMessages, ProvidedCaWarnings } from './ca/provided-ca.messages';
export { SigningCa, IssuedCheck, isSelfSigned } from './ca/signing-ca';
export type { IssueRequest, IssuedCertificate, MintedCertificate } from './ca/signing-ca';
export { csrPublicKeyDer, verifyCsr } from './csr/csr.verifier';
export { createCsr } from './csr/csr.builder';
export { selfSignedCaCertificate } from './ca/self-signed-ca';
export type { SelfSignedCaInput } from './ca/self-signed-ca';
export type { NameAttributes } from './x509/distinguished-name';
export { generateKeyPairOf, generateLeafKey } from './keys/leaf-key.generator';
export type { LeafKey } from './keys/leaf-key.generator';
export { KeyKind } from './keys/key-kind';
export { checkIssued, sanUris } from './x509/issued-certificate.validator';
export { PemLabel, pemBlocks } from './x509/pem';
export { checkAnswered, checkMinted } from './x509/minted-certificate.validator';
export { readCertificateFields } from './x509/certificate-fields.reader';
export type { CertificateFields } from './x509/certificate-fields.reader';
export type { MintedCheckInput } from './x509/minted-certificate.validator';
export type { CheckIssuedInput, IssuingCa } from './x509/issued-certificate.validator';
export { BACKDATE_MS } from './x509/validity';
export { createServerIdentity } from './tls/server-identity';
export type { ServerIdentity, ServerIdentityInput } from './tls/server-identity';
export { signJwt } from './token/jwt.signer';
export { decodeJwt, MAX_JWT_LENGTH } from './token/jwt.decoder';
export type { DecodedJwt, JwtHeader } from './token/jwt.decoder';
export { verifyJwt, verifyJwtSignature } from './token/jwt.verifier';
export { JWT_ALGORITHM } from './token/es256.key';
export { JwtMalformedError, JwtAlgorithmError, JwtSignatureError } from './token/jwt.errors';
