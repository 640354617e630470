/** The load generator of the proxy benchmark: `wrk` as a child process, its text report parsed. */

import { spawn, spawnSync } from 'node:child_process';

export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  /** wrk threads (default 1); must not exceed `connections`. */
  readonly threads?: number;
  /** Sends `Connection: close`: a new TCP (and so TLS, behind the proxy) connection per request. */
  readonly closeEach?: boolean;
}

/** What wrk counts as errors: socket errors by kind, and answers other than 2xx/3xx. */
export interface WrkErrors {
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly timeout: number;
  readonly non2xx3xx: number;
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors (connect, read, write, timeout) plus non-2xx/3xx responses. */
  readonly errors: number;
  readonly errorsByKind: WrkErrors;
  /** Every request wrk counted, failed ones (non-2xx/3xx) included. */
  readonly requests: number;
}

/** `connect 0, read 2, …`: the kinds that occurred, or `none`. */
export function describeWrkErrors(e: WrkErrors): string {
  const kinds = Object.entries(e).filter(([, n]) => n > 0);
  return kinds.length === 0 ? 'none' : kinds.map(([kind, n]) => `${kind} ${n}`).join(', ');
}

/** Sums the error counts of several runs, kind by kind. */
export function sumWrkErrors(results: readonly WrkResult[]): WrkErrors {
  const sum = (k: keyof WrkErrors) => results.reduce((n, r) => n + r.errorsByKind[k], 0);
  return {
    connect: sum('connect'),
    read: sum('read'),
    write: sum('write'),
    timeout: sum('timeout'),
    non2xx3xx: sum('non2xx3xx'),
  };
}

/** Whether `wrk` can be started here (it exits 1 on `--version`, so only a spawn failure counts). */
export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Runs `wrk --latency` once; rejects with wrk's output when it fails, overruns or cannot be parsed. */
export function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const args = [
    '--latency',
    `-t${opts.threads ?? 1}`,
    `-c${opts.connections}`,
    `-d${opts.durationS}s`,
    ...(opts.closeEach ? ['-H', 'Connection: close'] : []),
    opts.url,
  ];
  const timeoutMs = (opts.durationS + 20) * 1000;
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`wrk could not be started: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const command = `wrk ${args.join(' ')}`;
      if (timedOut) return reject(new Error(`${command} did not finish within ${timeoutMs} ms:\n${output}`));
      if (code !== 0) return reject(new Error(`${command} failed (${signal ?? code}):\n${output}`));
      try {
        resolve(parseWrkOutput(output));
      } catch (error) {
        reject(new Error(`${command}: ${(error as Error).message}:\n${output}`));
      }
    });
  });
}

/** wrk's time units (see its `units_time`), in milliseconds. */
const MS_PER_UNIT: Readonly<Record<string, number>> = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** Parses the report of `wrk --latency`; throws naming the first line it could not find. */
export function parseWrkOutput(output: string): WrkResult {
  const find = (re: RegExp, what: string): RegExpMatchArray => {
    const match = output.match(re);
    if (match === null) throw new Error(`no ${what} in wrk output`);
    return match;
  };
  const latency = (percent: string): number => {
    const [, value, unit] = find(
      new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm'),
      `${percent}%`,
    );
    return Number(value) * MS_PER_UNIT[unit];
  };
  // wrk prints these lines only when the count is not zero.
  const socket = output.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const non2xx = output.match(/Non-2xx or 3xx responses: (\d+)/);
  const errorsByKind: WrkErrors = {
    connect: Number(socket?.[1] ?? 0),
    read: Number(socket?.[2] ?? 0),
    write: Number(socket?.[3] ?? 0),
    timeout: Number(socket?.[4] ?? 0),
    non2xx3xx: Number(non2xx?.[1] ?? 0),
  };
  return {
    requestsPerSecond: Number(find(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')[1]),
    p50Ms: latency('50'),
    p99Ms: latency('99'),
    errors: Object.values(errorsByKind).reduce((a, b) => a + b, 0),
    errorsByKind,
    requests: Number(find(/^\s*(\d+) requests in /m, 'request count')[1]),
  };
}
