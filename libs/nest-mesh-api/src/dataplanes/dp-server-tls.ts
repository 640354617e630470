import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServerIdentity } from '@meshtls/pki';
import { ConfigError } from '@meshtls/util';
import type { DpServerConfig } from './dp-server.config';

export interface DpServerTls {
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA file to give dataplanes (`--ca-cert-file`), when the certificate was generated here. */
  readonly caFile?: string;
}

const TEN_YEARS_MS = 10 * 365 * 24 * 3_600_000;

/**
 * The dataplane server's certificate: the operator's files, or one generated once into
 * `{dataDir}/dp-server/` (ca.pem, cert.pem, key.pem) and reused after. Replicas sharing a data directory
 * race safely: each generates into its own folder and renames it into place; a rename onto a folder
 * that another replica already put there fails, and the loser reads the winner's files.
 */
export function loadDpServerTls(config: DpServerConfig, dataDir: string, now: Date): DpServerTls {
  if (config.certFile !== undefined && config.keyFile !== undefined) {
    return {
      certPem: readConfigured(config.certFile, 'MESH_DP_SERVER_CERT_FILE'),
      keyPem: readConfigured(config.keyFile, 'MESH_DP_SERVER_KEY_FILE'),
    };
  }
  const dir = join(dataDir, 'dp-server');
  if (!existsSync(join(dir, 'key.pem'))) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const tmp = join(dataDir, `dp-server.${process.pid}.${Date.now()}`);
    mkdirSync(tmp, { mode: 0o700 });
    const identity = createServerIdentity({ hostnames: config.hostnames, validityMs: TEN_YEARS_MS, now });
    writeFileSync(join(tmp, 'ca.pem'), identity.caCertPem, { mode: 0o644 });
    writeFileSync(join(tmp, 'cert.pem'), identity.certPem, { mode: 0o644 });
    writeFileSync(join(tmp, 'key.pem'), identity.keyPem, { mode: 0o600 });
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return {
    certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
  };
}

function readConfigured(file: string, variable: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `invalid configuration:\n  ${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}
