import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, freePort } from '@meshtls/testing';

export interface IdentityView {
  readonly serial: string;
  readonly backend: string;
  readonly supportedBackends: string[];
  readonly notBefore: string;
  readonly notAfter: string;
  readonly rotateAt: string;
  readonly uris: string[];
  readonly reason: string;
}

export interface AdminView {
  readonly ready: boolean;
  readonly controlPlane: string | null;
  readonly mtls: 'enabled' | 'disabled' | 'pending';
  readonly identity: IdentityView | null;
}

/** A running `dataplane run` process and its admin endpoint. */
export class DataplaneProcess {
  private constructor(
    readonly process: AppProcess,
    readonly adminUrl: string,
    readonly certDir: string,
  ) {}

  /**
   * Writes the Dataplane file and the token into `dir` and starts the sidecar with them; resolves when
   * its admin server listens (not yet when it has an identity: see `waitFor`).
   */
  static async start(options: {
    dir: string;
    name: string;
    mesh: string;
    service: string;
    token: string;
    cpAddresses: string[];
    caFile: string;
    extraArgs?: string[];
  }): Promise<DataplaneProcess> {
    const dpFile = join(options.dir, `${options.name}.yaml`);
    writeFileSync(
      dpFile,
      [
        'type: Dataplane',
        `mesh: ${options.mesh}`,
        `name: ${options.name}`,
        'networking:',
        '  address: 127.0.0.1',
        '  inbound:',
        '    - port: 8080',
        '      servicePort: 8081',
        '      tags:',
        `        kuma.io/service: ${options.service}`,
        '',
      ].join('\n'),
    );
    const tokenFile = join(options.dir, `${options.name}.token`);
    writeFileSync(tokenFile, options.token);
    const certDir = join(options.dir, `${options.name}-certs`);
    const adminPort = await freePort();
    const args = [
      'run',
      ...options.cpAddresses.flatMap((a) => ['--cp-address', `https://${a}`]),
      '--dataplane-file',
      dpFile,
      '--token-file',
      tokenFile,
      '--ca-cert-file',
      options.caFile,
      '--cert-dir',
      certDir,
      '--admin-port',
      String(adminPort),
      ...(options.extraArgs ?? []),
    ];
    const process = await AppProcess.start('dataplane', {}, options.name, args);
    return new DataplaneProcess(process, `http://127.0.0.1:${adminPort}`, certDir);
  }

  async view(): Promise<AdminView> {
    const response = await fetch(`${this.adminUrl}/identity`);
    return (await response.json()) as AdminView;
  }

  /** Polls the admin endpoint until `predicate` holds; fails with the process output otherwise. */
  async waitFor(predicate: (view: AdminView) => boolean, timeoutMs = 20_000): Promise<AdminView> {
    const deadline = Date.now() + timeoutMs;
    let last: AdminView | undefined;
    while (Date.now() < deadline) {
      last = await this.view().catch(() => undefined);
      if (last && predicate(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `dataplane condition not met within ${timeoutMs} ms; last view ${JSON.stringify(last)}\n${this.process.logs}`,
    );
  }

  stop() {
    return this.process.stop();
  }
}
