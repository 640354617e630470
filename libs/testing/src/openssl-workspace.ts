import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Key algorithms test CAs are made with. */
export type TestKeyType = 'rsa' | 'ec';

export interface TestCa {
  readonly name: string;
  readonly certPem: string;
  /** PKCS#8, as `openssl req` writes it. */
  readonly keyPem: string;
}

/** X.509v3 extensions of a proper CA, in openssl config syntax. */
export const CA_EXTENSIONS = [
  'basicConstraints = critical, CA:TRUE',
  'keyUsage = critical, keyCertSign, cRLSign',
  'subjectKeyIdentifier = hash',
];

/**
 * The openssl CLI in a temporary directory: an implementation independent of the code under test, to
 * make test CAs and to read what the code produced. `close()` removes the directory.
 */
export class OpensslWorkspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'pki-spec-'));
  private serial = 1000;

  run(...args: string[]): string {
    return execFileSync('openssl', args, {
      cwd: this.dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Runs and returns stdout and stderr together with the exit status, for commands expected to fail. */
  tryRun(...args: string[]): { ok: boolean; output: string } {
    try {
      return { ok: true, output: this.run(...args) };
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  }

  write(name: string, text: string): string {
    writeFileSync(join(this.dir, name), text);
    return name;
  }

  read(name: string): string {
    return readFileSync(join(this.dir, name), 'utf8');
  }

  /** `openssl x509 -text -noout` of a PEM certificate. */
  text(certPem: string): string {
    return this.run('x509', '-text', '-noout', '-in', this.write(`text-${this.serial++}.pem`, certPem));
  }

  /**
   * A CA certificate with the given extensions: self-signed when `issuer` is absent, else signed by it.
   * `days` may be negative only through `now` in the code under test: openssl cannot backdate here.
   */
  makeCa(
    name: string,
    opts: { keyType: TestKeyType; extensions?: string[]; issuer?: TestCa; days?: number },
  ): TestCa {
    const config = this.write(`${name}.cnf`, configFor(name, opts.extensions ?? CA_EXTENSIONS));
    const days = String(opts.days ?? 365);
    if (opts.issuer === undefined) {
      this.request(
        name,
        opts.keyType,
        config,
        `${name}.pem`,
        '-x509',
        '-days',
        days,
        ...this.extensionsAndSerial(),
      );
    } else {
      this.write(`${opts.issuer.name}.pem`, opts.issuer.certPem);
      this.write(`${opts.issuer.name}.key`, opts.issuer.keyPem);
      this.request(name, opts.keyType, config, `${name}.csr`);
      this.run(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${opts.issuer.name}.pem`,
        '-CAkey',
        `${opts.issuer.name}.key`,
        '-out',
        `${name}.pem`,
        '-days',
        days,
        '-extfile',
        config,
        ...this.extensionsAndSerial(),
      );
    }
    return { name, certPem: this.read(`${name}.pem`), keyPem: this.read(`${name}.key`) };
  }

  /**
   * A new unencrypted key `{name}.key` and `openssl req` for it with `config`, written to `out` and
   * returned: a CSR, or a self-signed certificate with `-x509` among `extra`.
   */
  request(name: string, keyType: TestKeyType, config: string, out: string, ...extra: string[]): string {
    const newKey =
      keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    this.run(
      'req',
      '-new',
      ...newKey,
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      out,
      '-config',
      config,
      ...extra,
    );
    return this.read(out);
  }

  /** The `ext` section of the config as the certificate's extensions, and the next serial. */
  private extensionsAndSerial(): string[] {
    return ['-extensions', 'ext', '-set_serial', String(this.serial++)];
  }

  /** The key in the "traditional" form: PKCS#1 for RSA, SEC1 for EC. */
  traditionalKey(ca: TestCa): string {
    return this.run('pkey', '-in', this.write(`${ca.name}-trad-in.key`, ca.keyPem), '-traditional');
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function configFor(name: string, extensions: readonly string[]): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    'O = meshtls tests',
    `CN = ${name}`,
    '[ext]',
    ...extensions,
    '',
  ].join('\n');
}
