import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { SigningCa } from '@meshtls/pki';
import { CA_EXTENSIONS, type OpensslWorkspace } from '@meshtls/testing';
import type { MeshTlsMaterial } from './mesh-tls';

/**
 * Test support for the proxy specs: identities `spiffe://m/{service}` with fresh EC keys, issued by the
 * CA given as PEM (the specs make it with openssl), trusting that CA only; valid for an hour unless said.
 */
export function meshIdentities(ca: { certPem: string; keyPem: string }) {
  const signing = SigningCa.load({ certChainPem: ca.certPem, keyPem: ca.keyPem });
  return (service: string, serial?: string, validityMs = 3_600_000): MeshTlsMaterial => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issued = signing.issue({
      publicKey,
      uris: [`spiffe://m/${service}`],
      validityMs,
      now: new Date(),
    });
    return {
      serial: serial ?? issued.serial,
      certChainPem: issued.certPem + issued.chainPem,
      keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      trustBundlePem: ca.certPem,
    };
  };
}

/**
 * Identities issued by an intermediate CA (sent with the leaf) under a root, trusting the root only: as a
 * provided CA with an intermediate does. The CAs are made in `ssl`.
 */
export function intermediateIdentities(ssl: OpensslWorkspace) {
  const root = ssl.makeCa('root', { keyType: 'ec' });
  const intermediate = ssl.makeCa('intermediate', { keyType: 'ec', issuer: root, extensions: CA_EXTENSIONS });
  const issue = meshIdentities({ certPem: intermediate.certPem + root.certPem, keyPem: intermediate.keyPem });
  const identity = (service: string): MeshTlsMaterial => ({
    ...issue(service),
    trustBundlePem: root.certPem,
  });
  return { root, intermediate, identity };
}

/** The leaf certificate of an identity. */
export const leafOf = (material: MeshTlsMaterial) => new X509Certificate(material.certChainPem);
