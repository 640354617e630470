import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { MeshError } from '@meshtls/util';

/** A test server could not be found or did not come up; the message says which and why. */
export class ServerStartError extends MeshError {
  readonly code = 'testing.server-start';
}

/**
 * Package managers put daemons in sbin, which is not on every user's PATH; these are looked at after
 * PATH so a missing PATH entry does not hide an installed server.
 */
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'] as const;

/**
 * The absolute path of `name`: the shell's PATH lookup first (the child inherits the environment, so this
 * library reads no variables itself), then the sbin dirs; a ServerStartError naming the package otherwise.
 */
export function findBinary(name: string, installHint: string): string {
  const lookup = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = lookup.status === 0 ? lookup.stdout.trim() : '';
  const candidates = [found, ...SBIN_DIRS.map((dir) => join(dir, name))].filter(Boolean);
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not usable here; try the next place
    }
  }
  throw new ServerStartError(`${name} not found on PATH; install it (${installHint})`);
}

/** Children still running, killed when the test process exits so no server outlives a crashed run. */
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

/** A spawned server with the tail of its output kept for error messages. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Last lines the server wrote (stdout and stderr), for a start failure's message. */
  output(): string;
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<string>;
}

export function spawnServer(
  binary: string,
  args: readonly string[],
  env?: Record<string, string>,
): ServerProcess {
  const child = spawn(binary, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  const lines: string[] = [];
  // Always drain the pipes: a full pipe would block the server's logging and so the server itself.
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
  if (child.pid === undefined) {
    throw new ServerStartError(`${binary} could not be started`);
  }
  return { child, pid: child.pid, output: () => lines.join('\n'), exited };
}

/**
 * Waits until `probe` succeeds against 127.0.0.1:port, failing early when the process exits and after
 * `timeoutMs` otherwise.
 */
export async function waitUntilReady(
  server: ServerProcess,
  name: string,
  port: number,
  probe: (port: number) => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  let exit: string | undefined;
  void server.exited.then((how) => (exit = how));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit !== undefined) {
      throw new ServerStartError(`${name} exited (${exit}) before it was ready:\n${server.output()}`);
    }
    if (await probe(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  await stopProcess(server, 2000);
  throw new ServerStartError(`${name} not ready on port ${port} after ${timeoutMs} ms:\n${server.output()}`);
}

/**
 * Connects, optionally writes `send`, and resolves true once the bytes read contain `expect`. Callers make
 * `expect` name their own process, so a server that already holds the port never passes for theirs.
 */
export function probeGreeting(port: number, expect: string, send?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      if (send !== undefined) socket.write(send);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (data.includes(expect)) done(true);
      else if (data.length > 64 * 1024) done(false);
    });
    socket.once('end', () => done(data.includes(expect)));
  });
}

/** Signals the process by its PID and waits for it to exit; escalates to SIGKILL after `graceMs`. */
export async function stopProcess(
  server: ServerProcess,
  graceMs: number,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  try {
    process.kill(server.pid, signal);
  } catch {
    return; // already gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }, graceMs);
  await server.exited;
  clearTimeout(timer);
}
