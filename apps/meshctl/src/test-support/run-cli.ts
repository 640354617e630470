import { Readable } from 'node:stream';
import { FakeClock } from '@meshtls/util';
import { run } from '../cli';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process with captured output, a fixed environment and a fixed clock. */
export async function runCli(
  argv: readonly string[],
  options: { env?: Record<string, string>; stdin?: string; clock?: FakeClock } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
    env: options.env ?? {},
    clock: options.clock ?? new FakeClock('2026-01-01T03:00:00Z'),
  });
  return { code, stdout, stderr };
}
