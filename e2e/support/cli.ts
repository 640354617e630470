import { spawn } from 'node:child_process';
import { appEntry, REPO_ROOT } from '@meshtls/testing';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built meshctl as a user would, with its own environment (no config file of the user's). */
export function meshctl(
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [appEntry('meshctl'), ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', MESHCTL_CONFIG: '/nonexistent/meshctl.yaml', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One raw HTTP call; `body` is sent as-is (string) so tests control bytes and content type. */
export async function http(
  method: string,
  url: string,
  options: { body?: string | Buffer; contentType?: string; token?: string } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (options.contentType) headers['content-type'] = options.contentType;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { method, headers, body: options.body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
