import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { CaValidationError } from '../pki.errors';
import { ProvidedCaMessages } from './provided-ca.messages';
import { KeyKind, keyKindOf } from '../keys/key-kind';
import { readCertificateFields } from '../x509/certificate-fields.reader';
import { signCertificate, signCertificateAsync } from '../x509/certificate.signer';
import { LeafTemplate } from '../x509/certificate.template';
import { checkIssued, type IssuingCa } from '../x509/issued-certificate.validator';
import { checkMinted } from '../x509/minted-certificate.validator';
import { spkiOf } from '../keys/public-key.codec';
import { PemLabel, pemBlocks, toPem } from '../x509/pem';
import { randomSerial, serialHex } from '../x509/serial-number';
import { signatureAlgorithmFor, type SignatureAlgorithm } from '../x509/signature-algorithm';
import { BACKDATE_MS, validityWindow, type Validity } from '../x509/validity';

/** A dataplane certificate to issue: the key it certifies and the names it carries. */
export interface IssueRequest {
  /** The dataplane's public key (a private KeyObject is accepted; only its public half is used). */
  readonly publicKey: KeyObject;
  /** SAN URIs, in certificate order (from dataplaneIdentity, never from the request). */
  readonly uris: readonly string[];
  readonly validityMs: number;
  readonly now: Date;
}

export interface IssuedCertificate {
  readonly certPem: string;
  /** CA certificates a peer needs between the leaf and its trust anchor; empty for a root CA. */
  readonly chainPem: string;
  /** Upper-case hex, as X509Certificate.serialNumber prints it. */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * How issue() checks each certificate before it leaves. `x509`: checkIssued, through Node's
 * X509Certificate (OpenSSL's parser: a second implementation, ~150 µs more per certificate on OpenSSL
 * 3.0). `native`: checkMinted, native signature verification plus a read-back of the DER.
 */
export const IssuedCheck = {
  X509: 'x509',
  Native: 'native',
} as const;
export type IssuedCheck = (typeof IssuedCheck)[keyof typeof IssuedCheck];

/** A certificate minted but not yet checked. */
export interface MintedCertificate {
  readonly certDer: Buffer;
  readonly serial: string;
  readonly validity: Validity;
}

/**
 * A CA ready to sign: its chain and key parsed once (KeyObject, issuer name, key id, algorithm), so
 * each issue() costs one native signature plus microseconds of encoding.
 */
export class SigningCa implements IssuingCa {
  readonly keyKind: KeyKind;
  private readonly template: LeafTemplate;
  private readonly algorithm: SignatureAlgorithm;
  private readonly notAfter: number;
  private readonly issuerNameDer: Buffer;
  /** Parsed once: X509Certificate.publicKey builds a new KeyObject (a decode) on every access. */
  readonly publicKey: KeyObject;

  private constructor(
    readonly certificate: X509Certificate,
    private readonly privateKey: KeyObject,
    /** The signing CA certificate (first of the bundle). */
    readonly certPem: string,
    /** What issued certificates carry as their chain. */
    readonly chainPem: string,
    /** The last certificate of the bundle: what dataplanes trust. */
    readonly trustAnchorPem: string,
    private readonly check: IssuedCheck,
  ) {
    this.keyKind = keyKindOf(privateKey);
    this.algorithm = signatureAlgorithmFor(privateKey);
    const fields = readCertificateFields(certificate.raw);
    this.publicKey = certificate.publicKey;
    this.issuerNameDer = fields.subjectNameDer;
    this.template = new LeafTemplate({
      nameDer: fields.subjectNameDer,
      keyId: fields.subjectKeyId,
      signatureAlgorithmDer: this.algorithm.identifierDer,
    });
    this.notAfter = Date.parse(certificate.validTo);
  }

  /**
   * Parses a CA: `certChainPem` holds the signing CA first, then its chain up to the root; `keyPem` is
   * the signing CA's key (PKCS#1, SEC1 or PKCS#8). Throws CaValidationError when either cannot be used.
   * Full provided-CA rules are validateProvidedCa's job; this checks what signing needs.
   */
  static load(input: { certChainPem: string; keyPem: string; check?: IssuedCheck }): SigningCa {
    const certs = parseChain(input.certChainPem);
    const key = parseKey(input.keyPem);
    if (!certs[0].checkPrivateKey(key)) {
      throw new CaValidationError('the CA key does not match the first certificate of the chain', [
        { field: 'cert', message: ProvidedCaMessages.keyMismatch },
      ]);
    }
    const pems = certs.map((c) => c.toString());
    const last = certs.length - 1;
    // The root is left out of the chain: peers hold it as their trust anchor.
    const chain = pems.slice(0, isSelfSigned(certs[last]) ? last : last + 1);
    return new SigningCa(
      certs[0],
      key,
      pems[0],
      chain.join(''),
      pems[last],
      input.check ?? IssuedCheck.Native,
    );
  }

  /** Mints, then checks (see IssuedCheck): a certificate that fails the check never leaves. */
  issue(request: IssueRequest): IssuedCertificate {
    const minted = this.mintUnchecked(request);
    return this.checked(minted.certDer, minted.serial, minted.validity, request);
  }

  /**
   * As issue(), with an RSA CA's signature (~270 µs) made on libuv's thread pool: the event loop stays
   * free and one process signs on every core. Cheaper steps (an ECDSA signature, the check) stay inline,
   * where they cost less than the hand-off to the pool (measured: moving them there lowered throughput).
   */
  async issueAsync(request: IssueRequest): Promise<IssuedCertificate> {
    if (this.keyKind !== KeyKind.Rsa) return this.issue(request);
    const { tbs, serial, validity } = this.tbsFor(request);
    const certDer = await signCertificateAsync(tbs, this.privateKey, this.algorithm);
    return this.checked(certDer, serialHex(serial), validity, request);
  }

  /**
   * Template and signature only, without the check of issue(). For measuring the signing path and for
   * callers that check the result themselves; hand out only what issue() returns.
   */
  mintUnchecked(request: IssueRequest): MintedCertificate {
    const { tbs, serial, validity } = this.tbsFor(request);
    return {
      certDer: signCertificate(tbs, this.privateKey, this.algorithm),
      serial: serialHex(serial),
      validity,
    };
  }

  /** Step 1: the TBSCertificate for a request, with a fresh serial and the validity window. */
  private tbsFor(request: IssueRequest) {
    const key = request.publicKey.type === 'private' ? createPublicKey(request.publicKey) : request.publicKey;
    const keyKind = keyKindOf(key);
    const serial = randomSerial();
    const window = validityWindow(request.now, request.validityMs, BACKDATE_MS.leaf);
    // A leaf never outlives its CA: past that date no verifier would accept it anyway.
    const validity =
      window.notAfter.getTime() > this.notAfter ? { ...window, notAfter: new Date(this.notAfter) } : window;
    const spkiDer = spkiOf(key);
    const tbs = this.template.tbs({ serial, validity, spkiDer, keyKind, uris: request.uris });
    return { tbs, serial, validity };
  }

  /** Step 3: what leaves has passed its check (see IssuedCheck). */
  private checked(
    certDer: Buffer,
    serial: string,
    validity: Validity,
    request: IssueRequest,
  ): IssuedCertificate {
    const certPem = toPem(certDer, PemLabel.Certificate);
    if (this.check === IssuedCheck.X509) {
      checkIssued({ certPem, ca: this, expectedUris: request.uris, now: request.now });
    } else {
      checkMinted({
        certDer,
        caPublicKey: this.publicKey,
        caNameDer: this.issuerNameDer,
        hash: this.algorithm.hash,
        expectedUris: request.uris,
        now: request.now,
      });
    }
    return { certPem, chainPem: this.chainPem, serial, ...validity };
  }
}

function parseChain(certChainPem: string): X509Certificate[] {
  const blocks = pemBlocks(certChainPem).filter((b) => b.label === PemLabel.Certificate);
  if (blocks.length === 0) {
    throw new CaValidationError('the CA certificate holds no PEM certificate', [
      { field: 'cert', message: ProvidedCaMessages.noCertificatePem },
    ]);
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block.der ?? '');
    } catch {
      throw new CaValidationError(`certificate ${i} of the CA chain does not parse`, [
        { field: `cert[${i}]`, message: 'not a valid x509 certificate' },
      ]);
    }
  });
}

function parseKey(keyPem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
    keyKindOf(key);
  } catch (error) {
    throw new CaValidationError(`the CA key cannot be used: ${(error as Error).message}`, [
      { field: 'cert', message: ProvidedCaMessages.keyUnreadable },
    ]);
  }
  return key;
}

/** Self-issued and self-signed: a trust anchor. */
export function isSelfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}
