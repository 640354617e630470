import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearCertDir, writeCertDir, writeTrustBundle } from './cert-dir.writer';
import type { DataplaneIdentity } from './identity';

const identity = (n: number): DataplaneIdentity => ({
  certPem: `-----BEGIN CERTIFICATE-----\nLEAF${n}\n-----END CERTIFICATE-----`,
  chainPem: `-----BEGIN CERTIFICATE-----\nINTERMEDIATE\n-----END CERTIFICATE-----\n`,
  keyPem: `-----BEGIN PRIVATE KEY-----\nKEY${n}\n-----END PRIVATE KEY-----\n`,
  serial: `0${n}`,
  notBefore: '2026-01-01T00:00:00Z',
  notAfter: '2026-01-31T00:00:00Z',
  rotateAt: '2026-01-25T00:00:00Z',
  backend: 'ca-1',
  supportedBackends: ['ca-1'],
  trustBundlePem: 'BUNDLE\n',
  mode: 'STRICT',
  uris: ['spiffe://m/web'],
  reason: 'new',
});

describe('cert-dir writer', () => {
  let dir: string;
  beforeEach(() => (dir = join(mkdtempSync(join(tmpdir(), 'certdir-')), 'certs')));
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('writes leaf then chain, key and bundle, each readable by the owner only, with no temporary file left', () => {
    writeCertDir(dir, identity(1));
    expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).toBe(
      '-----BEGIN CERTIFICATE-----\nLEAF1\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nINTERMEDIATE\n-----END CERTIFICATE-----\n',
    );
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toContain('KEY1');
    expect(readdirSync(dir).sort()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('replaces files (new inode, so a reader holding the old one never sees a mix) and updates the bundle alone', () => {
    writeCertDir(dir, identity(1));
    const before = statSync(join(dir, 'cert.pem')).ino;
    writeCertDir(dir, identity(2));
    expect(statSync(join(dir, 'cert.pem')).ino).not.toBe(before);
    expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).toContain('LEAF2');
    writeTrustBundle(dir, 'BUNDLE-2\n');
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe('BUNDLE-2\n');
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toContain('KEY2');
  });

  it('removes the identity when it is withdrawn', () => {
    writeCertDir(dir, identity(1));
    clearCertDir(dir);
    expect(readdirSync(dir)).toEqual([]);
  });
});
