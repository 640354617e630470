import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Violation } from '@meshtls/domain';
import { keyKindOf } from '../keys/key-kind';
import { readCertificateFields, type CertificateFields } from '../x509/certificate-fields.reader';
import { PemLabel, pemBlocks } from '../x509/pem';
import { ProvidedCaMessages as M, ProvidedCaWarnings as W } from './provided-ca.messages';
import { isSelfSigned } from './signing-ca';

export interface ProvidedCaInput {
  /** The signing CA first, then its chain up to the root. */
  readonly certPem: string;
  readonly keyPem: string;
  readonly now: Date;
  /** Path of the backend's conf, e.g. `mtls.backends[0].conf`: violations are on `.cert[j]` and `.key`. */
  readonly fieldPrefix: string;
}

export interface ProvidedCaReport {
  /** Empty when the CA can be used. */
  readonly violations: Violation[];
  /** Accepted oddities, each prefixed with its field. */
  readonly warnings: string[];
}

interface ParsedCert {
  readonly index: number;
  readonly x509: X509Certificate;
  readonly fields: CertificateFields;
}

/**
 * Checks a provided CA as Kuma does (every certificate: CA:TRUE, keyCertSign, no keyAgreement; the key
 * matches the first certificate) and further: every certificate is valid now, each is signed by the
 * next one, and CA usages meant for leaves are reported as warnings. Reports every problem at once.
 */
export function validateProvidedCa(input: ProvidedCaInput): ProvidedCaReport {
  const report: ProvidedCaReport = { violations: [], warnings: [] };
  const at = (field: string) => (input.fieldPrefix === '' ? field : `${input.fieldPrefix}.${field}`);
  const blocks = pemBlocks(input.certPem).filter((b) => b.label === PemLabel.Certificate);
  if (blocks.length === 0) {
    // As Kuma: a key pair that cannot be formed is one violation on `cert`, and nothing else is checked.
    report.violations.push({ field: at('cert'), message: M.noCertificatePem });
    return report;
  }
  const certs = blocks.map((block, index) => parseCert(block.der, index));
  const keyProblem = keyPairProblem(input.keyPem, certs[0]);
  if (keyProblem !== undefined) {
    report.violations.push({ field: at('cert'), message: keyProblem });
    return report;
  }
  certs.forEach((cert, j) => {
    if (cert === undefined) {
      report.violations.push({ field: at(`cert[${j}]`), message: M.notCertificate });
    } else {
      checkCaProfile(cert, input.now, at(`cert[${j}]`), report);
      checkSignedByNext(cert, certs[j + 1], at(`cert[${j}]`), report);
    }
  });
  const last = certs[certs.length - 1];
  if (last !== undefined && !isSelfSigned(last.x509)) {
    report.warnings.push(W.noRoot(at(`cert[${last.index}]`)));
  }
  return report;
}

function parseCert(der: Buffer | undefined, index: number): ParsedCert | undefined {
  if (der === undefined) {
    return undefined;
  }
  try {
    return { index, x509: new X509Certificate(der), fields: readCertificateFields(der) };
  } catch {
    return undefined;
  }
}

function checkCaProfile(cert: ParsedCert, now: Date, field: string, report: ProvidedCaReport): void {
  const { basicConstraintsCa, keyUsage } = cert.fields;
  const add = (message: string) => report.violations.push({ field, message });
  if (basicConstraintsCa !== true) {
    add(M.notCa);
  }
  if (!keyUsage?.keyCertSign) {
    add(M.noKeyCertSign);
  }
  if (keyUsage?.keyAgreement) {
    add(M.keyAgreement);
  }
  const notBefore = new Date(cert.x509.validFrom);
  const notAfter = new Date(cert.x509.validTo);
  if (now.getTime() < notBefore.getTime()) {
    add(M.notYetValid(notBefore));
  }
  if (now.getTime() >= notAfter.getTime()) {
    add(M.expired(notAfter));
  }
  for (const usage of ['digitalSignature', 'keyEncipherment'] as const) {
    if (keyUsage?.[usage]) {
      report.warnings.push(W.usage(field, usage));
    }
  }
}

function checkSignedByNext(
  cert: ParsedCert,
  next: ParsedCert | undefined,
  field: string,
  report: ProvidedCaReport,
): void {
  if (next === undefined) {
    return; // last certificate, or the next one does not parse (reported on its own field)
  }
  if (!cert.x509.checkIssued(next.x509) || !cert.x509.verify(next.x509.publicKey)) {
    report.violations.push({ field, message: M.chainBroken(next.index) });
  }
}

/** Kuma's first step (Go's `tls.X509KeyPair`): the key must be a PEM private key of the first certificate. */
function keyPairProblem(keyPem: string, first: ParsedCert | undefined): string | undefined {
  const keyBlocks = pemBlocks(keyPem);
  if (!keyBlocks.some((b) => b.label.endsWith('PRIVATE KEY'))) {
    return keyBlocks.some((b) => b.label === PemLabel.Certificate) ? M.certificateAsKey : M.noKeyPem;
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
    keyKindOf(key);
  } catch {
    return M.keyUnreadable;
  }
  if (first !== undefined && !first.x509.checkPrivateKey(key)) {
    return M.keyMismatch;
  }
  return undefined;
}
