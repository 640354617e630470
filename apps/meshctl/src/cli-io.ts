import type { Clock } from '@meshtls/util';

/** Where output goes; only `write` is used, so a process stream or a string buffer both fit. */
export interface TextSink {
  write(chunk: string): unknown;
}

/**
 * Everything the CLI touches outside itself. `main.ts` passes the process's streams and environment;
 * tests pass buffers and a fixed environment, so the whole CLI runs in-process.
 */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly stdin: AsyncIterable<Buffer | string>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Used for the AGE column; the system clock when absent. */
  readonly clock?: Clock;
}

/** Reads a whole stream as UTF-8 text (for `apply -f -`). */
export async function readAll(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
