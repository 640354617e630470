import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { selfSignedCaCertificate } from '../ca/self-signed-ca';
import { derImplicitPrimitive, derOid, derSequence } from '../der/der.writer';
import { signCertificate } from '../x509/certificate.signer';
import { keyIdOfSpki } from '../x509/certificate-fields.reader';
import { tbsCertificate } from '../x509/certificate.template';
import { distinguishedNameDer } from '../x509/distinguished-name';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  extension,
  keyUsageExtension,
  subjectKeyIdentifierExtension,
} from '../x509/extensions';
import { Oid } from '../x509/oids';
import { PemLabel, toPem } from '../x509/pem';
import { randomSerial } from '../x509/serial-number';
import { signatureAlgorithmFor } from '../x509/signature-algorithm';
import { BACKDATE_MS, validityWindow } from '../x509/validity';

/** The TLS identity of the control plane's dataplane server: a CA for dataplanes to trust, and a leaf. */
export interface ServerIdentity {
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ServerIdentityInput {
  /** DNS names and IP addresses the server is reached by (`localhost`, `127.0.0.1`, `cp.mesh.svc`). */
  readonly hostnames: readonly string[];
  readonly validityMs: number;
  readonly now: Date;
}

/**
 * Generates a self-signed CA and a server certificate (EC P-256) for the dataplane server, for a control
 * plane whose operator brought no certificate (Kuma generates one likewise). The CA key is not kept:
 * the files are regenerated only when deleted, and a replacement needs a new CA file on dataplanes.
 */
export function createServerIdentity(input: ServerIdentityInput): ServerIdentity {
  if (input.hostnames.length === 0) throw new RangeError('createServerIdentity: no hostname');
  const ca = ecKeyPair();
  const caCertPem = selfSignedCaCertificate({
    privateKey: ca.privateKey,
    publicKey: ca.publicKey,
    subject: { commonName: 'mesh control plane dataplane-server CA' },
    uris: ['spiffe://control-plane'],
    validityMs: input.validityMs,
    now: input.now,
  });
  const leaf = ecKeyPair();
  const caSpki = ca.publicKey.export({ type: 'spki', format: 'der' });
  const spkiDer = leaf.publicKey.export({ type: 'spki', format: 'der' });
  const algorithm = signatureAlgorithmFor(ca.privateKey);
  const tbs = tbsCertificate({
    serial: randomSerial(),
    signatureAlgorithmDer: algorithm.identifierDer,
    issuerNameDer: distinguishedNameDer({ commonName: 'mesh control plane dataplane-server CA' }),
    validity: validityWindow(input.now, input.validityMs, BACKDATE_MS.ca),
    subjectNameDer: distinguishedNameDer({ commonName: input.hostnames[0]! }),
    spkiDer,
    extensions: [
      basicConstraintsExtension(false),
      keyUsageExtension(['digitalSignature']),
      extension(Oid.extKeyUsage, false, derSequence(derOid(Oid.serverAuth))),
      subjectKeyIdentifierExtension(keyIdOfSpki(spkiDer)),
      authorityKeyIdentifierExtension(keyIdOfSpki(caSpki)),
      hostSubjectAltNameExtension(input.hostnames),
    ],
  });
  return {
    caCertPem,
    certPem: toPem(signCertificate(tbs, ca.privateKey, algorithm), PemLabel.Certificate),
    keyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function ecKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** subjectAltName with `[2] dNSName` for names and `[7] iPAddress` for IPv4/IPv6 addresses. */
function hostSubjectAltNameExtension(hostnames: readonly string[]): Buffer {
  const names = hostnames.map((host) =>
    isIP(host) ? derImplicitPrimitive(7, ipBytes(host)) : derImplicitPrimitive(2, Buffer.from(host, 'ascii')),
  );
  return extension(Oid.subjectAltName, false, derSequence(...names));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const parts = (s: string) => (s === '' ? [] : s.split(':'));
  const h = parts(head);
  const t = ip.includes('::') ? parts(tail) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(groups.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
}
