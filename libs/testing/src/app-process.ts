import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root: tests and benchmarks run from it (npm scripts, jest's rootDir parents). */
export const REPO_ROOT = process.cwd();

/** The built entry point of an app; the caller needs `npm run build` first and is told so clearly. */
export function appEntry(app: string): string {
  const file = join(REPO_ROOT, 'dist', 'apps', app, 'src', 'main.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before the e2e suite`);
  return file;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A control-plane process started by a test; stopped by its own PID. */
export class AppProcess {
  private output = '';
  private exited: Promise<ExitStatus>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    // 'close' rather than 'exit': it comes once the process has ended and its output is all read.
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  }

  /** Starts `app` with `env` (and command-line `args`) and resolves when it prints its "listening on" line. */
  static async start(
    app: string,
    env: Record<string, string>,
    name = app,
    args: readonly string[] = [],
  ): Promise<AppProcess> {
    // APP_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the processes of a test or benchmark.
    const nodeArgs = process.env.APP_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, appEntry(app), ...args], {
      cwd: REPO_ROOT,
      // Port 0 unless a test names one: parallel tests never race for the default dataplane port. No
      // default mesh unless a test asks for it (MESH_SKIP_DEFAULT_MESH=false): each test makes its meshes.
      env: {
        PATH: process.env.PATH ?? '',
        MESH_LOG_LEVEL: 'warn',
        MESH_DP_SERVER_PORT: '0',
        MESH_SKIP_DEFAULT_MESH: 'true',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new AppProcess(name, child);
    await proc.waitFor(/listening on (http:\/\/\S+)/, 20_000);
    return proc;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get logs(): string {
    return this.output;
  }

  /** Waits until the output matches `pattern`; fails with the output so far if the process dies first. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null) {
        throw new Error(`${this.name} exited with ${this.child.exitCode}:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.output}`);
  }

  /**
   * Graceful stop (SIGTERM), SIGKILL after `graceMs`. Resolves with how it ended, once everything it wrote
   * is in `logs`.
   */
  async stop(graceMs = 5000): Promise<ExitStatus> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }
}
