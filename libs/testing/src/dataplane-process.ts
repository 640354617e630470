import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess } from './app-process';
import { freePort } from './ports';
import type { CertificateFacts } from '@meshtls/domain';

export interface IdentityView extends CertificateFacts {
  readonly rotateAt: string;
  /** When the sidecar asks for a new certificate itself (null when it does not). */
  readonly renewAt: string | null;
  readonly uris: string[];
  readonly reason: string;
  readonly mode: 'STRICT' | 'PERMISSIVE';
}

export interface AdminView {
  readonly ready: boolean;
  readonly controlPlane: string | null;
  readonly mtls: 'enabled' | 'disabled' | 'pending';
  readonly identity: IdentityView | null;
  readonly listeners: { inbound: Record<string, number>; outbound: Record<string, number> };
}

/** A running `dataplane run` process and its admin endpoint. */
export class DataplaneProcess {
  private constructor(
    readonly process: AppProcess,
    readonly adminUrl: string,
    readonly certDir: string,
    /** The port of its inbound (other dataplanes and foreign clients connect to it). */
    readonly inboundPort: number,
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
    /** The inbound's port (a free one by default) and the application's port behind it. */
    inboundPort?: number;
    servicePort?: number;
    /** Services this dataplane calls, each on a local port. */
    outbounds?: { port: number; service: string }[];
    /** The inbound's `name` (what a policy's sectionName selects) and its tags besides the service. */
    inboundName?: string;
    tags?: Record<string, string>;
    /** More inbounds, after the first one. */
    extraInbounds?: { name?: string; port: number; servicePort: number; service: string }[];
    /** The Dataplane resource's labels. */
    labels?: Record<string, string>;
  }): Promise<DataplaneProcess> {
    const dpFile = join(options.dir, `${options.name}.yaml`);
    const inboundPort = options.inboundPort ?? (await freePort());
    const servicePort = options.servicePort ?? (await freePort());
    writeFileSync(
      dpFile,
      [
        'type: Dataplane',
        `mesh: ${options.mesh}`,
        `name: ${options.name}`,
        ...(options.labels
          ? ['labels:', ...Object.entries(options.labels).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)]
          : []),
        'networking:',
        '  address: 127.0.0.1',
        '  inbound:',
        ...[
          {
            name: options.inboundName,
            port: inboundPort,
            servicePort,
            tags: { 'kuma.io/service': options.service, ...options.tags },
          },
          ...(options.extraInbounds ?? []).map((i) => ({ ...i, tags: { 'kuma.io/service': i.service } })),
        ].flatMap((i) => [
          `    - port: ${i.port}`,
          ...(i.name ? [`      name: ${i.name}`] : []),
          `      servicePort: ${i.servicePort}`,
          '      tags:',
          ...Object.entries(i.tags).map(([k, v]) => `        ${k}: ${v}`),
        ]),
        ...(options.outbounds?.length
          ? [
              '  outbound:',
              ...options.outbounds.flatMap((o) => [
                `    - port: ${o.port}`,
                '      tags:',
                `        kuma.io/service: ${o.service}`,
              ]),
            ]
          : []),
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
    return new DataplaneProcess(process, `http://127.0.0.1:${adminPort}`, certDir, inboundPort);
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

  /** The sidecar's Prometheus metrics, as text. */
  async metrics(): Promise<string> {
    return (await fetch(`${this.adminUrl}/metrics`)).text();
  }

  stop() {
    return this.process.stop();
  }
}
