import { mkdirSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DataplaneIdentity } from './identity';

/** File names in `--cert-dir`, as applications doing TLS themselves read them. */
export const CERT_DIR_FILES = { cert: 'cert.pem', key: 'key.pem', bundle: 'ca.pem' } as const;

/**
 * Writes cert (leaf then chain), key and trust bundle, mode 0600, each replaced atomically (written
 * aside, then renamed), so a reader never sees half a file. The key is written first: an application
 * that reloads on a cert change finds the matching key already there.
 */
export function writeCertDir(dir: string, identity: DataplaneIdentity): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  replace(dir, CERT_DIR_FILES.key, identity.keyPem);
  replace(dir, CERT_DIR_FILES.bundle, identity.trustBundlePem);
  replace(dir, CERT_DIR_FILES.cert, withNewline(identity.certPem) + identity.chainPem);
}

/** Only the bundle changed (a CA added or removed). */
export function writeTrustBundle(dir: string, trustBundlePem: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  replace(dir, CERT_DIR_FILES.bundle, trustBundlePem);
}

/** mTLS was turned off: the files go, so no application keeps using a withdrawn identity. */
export function clearCertDir(dir: string): void {
  for (const file of Object.values(CERT_DIR_FILES)) rmSync(join(dir, file), { force: true });
}

function replace(dir: string, name: string, content: string): void {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, join(dir, name));
}

function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
