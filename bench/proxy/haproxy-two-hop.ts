/**
 * The reference of the proxy benchmark: HAProxy doing the sidecar's two-hop mTLS path, as two processes
 * (one per sidecar): plaintext in -> client side -> mTLS -> server side -> plaintext to the target.
 */

import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  findBinary,
  freePort,
  spawnServer,
  stopProcess,
  tempDir,
  waitUntilReady,
  type ServerProcess,
} from '@meshtls/testing';

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface HaproxyTwoHopOptions {
  /** Plaintext port of the upstream on 127.0.0.1. */
  readonly targetPort: number;
  /** What the client side presents to the server side. */
  readonly client: PemPair;
  /** What the server side presents to the client side. */
  readonly server: PemPair;
  /** The CA both sides require the peer's certificate to chain to. */
  readonly caPem: string;
  /**
   * `nbthread` of each process (default 1). Our sidecar is one Node thread per process, so 1 compares like
   * with like; a larger value shows what HAProxy does with the cores it is given.
   */
  readonly threads?: number;
  /**
   * TLS session reuse between the two processes (default false: a full handshake per connection, as the
   * sidecars make without resumption). The server side issues tickets either way.
   */
  readonly sessionReuse?: boolean;
}

export interface HaproxyTwoHop {
  /** Plaintext port of the client side on 127.0.0.1: point the load generator here. */
  readonly port: number;
  /** Client side first, then server side. */
  readonly pids: number[];
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const KILL_GRACE_MS = 2_000;
const START_ATTEMPTS = 3;

/**
 * Shared settings. Mode tcp: the sidecar relays TCP streams without parsing HTTP, so HAProxy does the same
 * (one upstream TLS connection per downstream connection, no HTTP connection pooling between the hops).
 */
function commonSections(threads: number): string[] {
  return [
    'global',
    `    nbthread ${threads}`,
    '    maxconn 4096',
    'defaults',
    '    mode tcp',
    '    maxconn 4096',
    '    timeout connect 5s',
    '    timeout client 60s',
    '    timeout server 60s',
  ];
}

/**
 * Neither side sets `sni` nor `verifyhost`: the leaves carry only a SPIFFE URI SAN, and HAProxy would
 * match a host name against the DNS names. So both sides check the chain only, not the peer's identity.
 */
function clientSideConfig(
  dir: string,
  threads: number,
  port: number,
  serverSidePort: number,
  sessionReuse: boolean,
): string {
  return [
    ...commonSections(threads),
    'frontend plain_in',
    `    bind 127.0.0.1:${port}`,
    '    default_backend mtls_out',
    'backend mtls_out',
    `    server server_side 127.0.0.1:${serverSidePort} ssl crt ${join(dir, 'client.pem')} ` +
      // no-ssl-reuse: a full handshake per connection, as the sidecars without session resumption.
      `ca-file ${join(dir, 'ca.pem')} verify required alpn mesh-mtls${sessionReuse ? '' : ' no-ssl-reuse'}`,
    '',
  ].join('\n');
}

function serverSideConfig(dir: string, threads: number, port: number, targetPort: number): string {
  return [
    ...commonSections(threads),
    'frontend mtls_in',
    `    bind 127.0.0.1:${port} ssl crt ${join(dir, 'server.pem')} ca-file ${join(dir, 'ca.pem')} ` +
      'verify required alpn mesh-mtls',
    '    default_backend plain_out',
    'backend plain_out',
    `    server target 127.0.0.1:${targetPort}`,
    '',
  ].join('\n');
}

function checkConfig(binary: string, cfg: string): void {
  const check = spawnSync(binary, ['-c', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(
      `haproxy -c rejects ${cfg}:\n${check.stdout}${check.stderr}${check.error?.message ?? ''}`,
    );
  }
}

/** Starts haproxy in the foreground (`-db`: no daemon, no master-worker) and waits until it listens. */
async function startHaproxy(binary: string, cfg: string, name: string, port: number): Promise<ServerProcess> {
  const proxy = spawnServer(binary, ['-db', '-f', cfg]);
  await waitUntilReady(proxy, `haproxy (${name})`, port, acceptsTcp, READY_TIMEOUT_MS);
  return proxy;
}

function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => done(true));
  });
}

const stop = (proxy: ServerProcess) => stopProcess(proxy, KILL_GRACE_MS);

/**
 * Starts the server side, then the client side, each as a foreground haproxy child on free ports of
 * 127.0.0.1, with certificates and configs in a fresh temp dir (keys 0600). `close()` stops both by PID and
 * removes the dir. A port taken between picking and binding makes a retry on new ports.
 */
export async function startHaproxyTwoHop(opts: HaproxyTwoHopOptions): Promise<HaproxyTwoHop> {
  const binary = findBinary('haproxy', 'apt-get install haproxy');
  const threads = opts.threads ?? 1;
  const dir = await tempDir('meshtls-haproxy-');
  try {
    // HAProxy's `crt` wants certificate and key in one file.
    await writeFile(join(dir.path, 'client.pem'), pemJoin(opts.client.certPem, opts.client.keyPem), {
      mode: 0o600,
    });
    await writeFile(join(dir.path, 'server.pem'), pemJoin(opts.server.certPem, opts.server.keyPem), {
      mode: 0o600,
    });
    await writeFile(join(dir.path, 'ca.pem'), opts.caPem, { mode: 0o644 });
    for (let attempt = 1; ; attempt++) {
      const started: ServerProcess[] = [];
      try {
        const [port, serverSidePort] = await Promise.all([freePort(), freePort()]);
        const serverCfg = join(dir.path, 'server-side.cfg');
        const clientCfg = join(dir.path, 'client-side.cfg');
        await writeFile(serverCfg, serverSideConfig(dir.path, threads, serverSidePort, opts.targetPort));
        await writeFile(
          clientCfg,
          clientSideConfig(dir.path, threads, port, serverSidePort, opts.sessionReuse ?? false),
        );
        checkConfig(binary, serverCfg);
        checkConfig(binary, clientCfg);
        const serverSide = await startHaproxy(binary, serverCfg, 'server side', serverSidePort);
        started.push(serverSide);
        const clientSide = await startHaproxy(binary, clientCfg, 'client side', port);
        started.push(clientSide);
        return {
          port,
          pids: [clientSide.pid, serverSide.pid],
          close: async () => {
            await Promise.all([stop(clientSide), stop(serverSide)]);
            await dir.remove();
          },
        };
      } catch (error) {
        await Promise.all(started.map(stop));
        const portRace = /cannot bind|address already in use/i.test((error as Error).message);
        if (!portRace || attempt >= START_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    await dir.remove();
    throw error;
  }
}

function pemJoin(...pems: string[]): string {
  return pems.map((pem) => (pem.endsWith('\n') ? pem : `${pem}\n`)).join('');
}
