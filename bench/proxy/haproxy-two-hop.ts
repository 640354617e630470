/**
 * The reference of the proxy benchmark: HAProxy doing the sidecar's two-hop mTLS path, as two processes
 * (one per sidecar): plaintext in -> client side -> mTLS -> server side -> plaintext to the target.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, tempDir } from '@meshtls/testing';

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

/** haproxy from PATH, else from sbin (not on every user's PATH). */
function haproxyBinary(): string {
  if (spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).error === undefined) return 'haproxy';
  const found = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find((path) => existsSync(path));
  if (found === undefined) throw new Error('haproxy not found on PATH nor in /usr/sbin, /usr/local/sbin');
  return found;
}

/** Children still running, killed when this process exits so no haproxy outlives a crashed run. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

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
function clientSideConfig(dir: string, threads: number, port: number, serverSidePort: number): string {
  return [
    ...commonSections(threads),
    'frontend plain_in',
    `    bind 127.0.0.1:${port}`,
    '    default_backend mtls_out',
    'backend mtls_out',
    `    server server_side 127.0.0.1:${serverSidePort} ssl crt ${join(dir, 'client.pem')} ` +
      // no-ssl-reuse: a full handshake per connection, as the sidecar does (it authorises every
      // connection by the certificate shown in it, which a resumed session does not show).
      `ca-file ${join(dir, 'ca.pem')} verify required alpn mesh-mtls no-ssl-reuse`,
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

/** A running haproxy with the tail of its output, for error messages. */
interface Haproxy {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<string>;
  output(): string;
}

function checkConfig(binary: string, cfg: string): void {
  const check = spawnSync(binary, ['-c', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(
      `haproxy -c rejects ${cfg}:\n${check.stdout}${check.stderr}${check.error?.message ?? ''}`,
    );
  }
}

/** Starts haproxy in the foreground (`-db`: no daemon, no master-worker), its pipes always drained. */
function spawnHaproxy(binary: string, cfg: string): Haproxy {
  const child = spawn(binary, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  live.add(child);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(signal ?? String(code));
    });
    child.once('error', (err) => {
      live.delete(child);
      resolve(`spawn error: ${err.message}`);
    });
  });
  if (child.pid === undefined) throw new Error(`${binary} could not be started`);
  return { child, pid: child.pid, exited, output: () => lines.join('\n') };
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

/** SIGTERM by PID, SIGKILL after the grace period; resolves once the process has exited. */
async function stop(proxy: Haproxy): Promise<void> {
  if (proxy.child.exitCode !== null || proxy.child.signalCode !== null) return;
  try {
    process.kill(proxy.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(proxy.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }, KILL_GRACE_MS);
  await proxy.exited;
  clearTimeout(timer);
}

/** Waits until the port accepts TCP connections; fails with haproxy's output if it exits or overruns. */
async function waitUntilListening(proxy: Haproxy, name: string, port: number): Promise<void> {
  let exit: string | undefined;
  void proxy.exited.then((how) => (exit = how));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit !== undefined)
      throw new Error(`haproxy (${name}) exited (${exit}) before listening:\n${proxy.output()}`);
    if (await acceptsTcp(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  await stop(proxy);
  throw new Error(
    `haproxy (${name}) not listening on ${port} after ${READY_TIMEOUT_MS} ms:\n${proxy.output()}`,
  );
}

/**
 * Starts the server side, then the client side, each as a foreground haproxy child on free ports of
 * 127.0.0.1, with certificates and configs in a fresh temp dir (keys 0600). `close()` stops both by PID and
 * removes the dir. A port taken between picking and binding makes a retry on new ports.
 */
export async function startHaproxyTwoHop(opts: HaproxyTwoHopOptions): Promise<HaproxyTwoHop> {
  const binary = haproxyBinary();
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
      const started: Haproxy[] = [];
      try {
        const [port, serverSidePort] = await Promise.all([freePort(), freePort()]);
        const serverCfg = join(dir.path, 'server-side.cfg');
        const clientCfg = join(dir.path, 'client-side.cfg');
        await writeFile(serverCfg, serverSideConfig(dir.path, threads, serverSidePort, opts.targetPort));
        await writeFile(clientCfg, clientSideConfig(dir.path, threads, port, serverSidePort));
        checkConfig(binary, serverCfg);
        checkConfig(binary, clientCfg);
        started.push(spawnHaproxy(binary, serverCfg));
        await waitUntilListening(started[0], 'server side', serverSidePort);
        started.push(spawnHaproxy(binary, clientCfg));
        await waitUntilListening(started[1], 'client side', port);
        const [serverSide, clientSide] = started;
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
