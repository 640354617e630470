import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import {
  ResourceType,
  ValidationError,
  secretBytes,
  type DataSource,
  type SecretSpec,
} from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';

/** The most a `file` data source may hold: a CA chain or key is a few KiB. */
export const MAX_FILE_SOURCE_BYTES = 1024 * 1024;

/** Why a file that exists was refused; like the system's errors, told to an admin only. */
export type FileRefusal = 'not-regular' | 'too-large';

/** A file data source that cannot be used, with the reason (never its content). */
export class FileSourceError extends Error {
  constructor(
    readonly reason: FileRefusal,
    detail: string,
  ) {
    super(detail);
  }
}

/** Reads files named by `file` data sources; a port so tests and other hosts can supply their own. */
export interface FileReader {
  /** The whole file; a FileSourceError (or an error with an errno `code`) when it cannot be used. */
  readFile(path: string): Promise<Buffer>;
}

/**
 * Reads a regular file of at most `maxBytes`. Anything else is refused before a byte is read: a device
 * (`/dev/zero` never ends), a FIFO (opening it would wait for a writer), a directory, a larger file. The
 * type is checked by name and again on the open descriptor (the path may change in between), which is
 * opened non-blocking; at most `maxBytes + 1` bytes are ever read, so a file that grows is refused too.
 */
export async function readBoundedFile(path: string, maxBytes = MAX_FILE_SOURCE_BYTES): Promise<Buffer> {
  assertUsable(await stat(path), maxBytes);
  const handle = await open(
    path,
    constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0),
  );
  try {
    assertUsable(await handle.stat(), maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= maxBytes) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > maxBytes) throw tooLarge(maxBytes);
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

function assertUsable(info: { isFile(): boolean; size: number }, maxBytes: number): void {
  if (!info.isFile()) throw new FileSourceError('not-regular', 'not a regular file');
  if (info.size > maxBytes) throw tooLarge(maxBytes);
}

function tooLarge(maxBytes: number): FileSourceError {
  return new FileSourceError('too-large', `larger than ${maxBytes} bytes`);
}

export const nodeFileReader: FileReader = { readFile: (path) => readBoundedFile(path) };

/** Who a read is for. Only an admin is told why a file could not be read. */
export interface ReadContext {
  readonly admin?: boolean;
}

/**
 * Resolves a provided CA's data source (`secret` of the same mesh, `inline` base64, `inlineString`, `file`)
 * to bytes. A source that cannot be read is a field error on `field`, never a crash. For a file, an admin
 * is told the reason (missing, unreadable, not a regular file, too large); anyone else gets one message
 * for all of them, so the control plane cannot be used to probe the files of its host.
 */
export class DataSourceReader {
  constructor(
    private readonly store: ResourceStore,
    private readonly files: FileReader = nodeFileReader,
  ) {}

  async read(mesh: string, source: DataSource, field: string, context: ReadContext = {}): Promise<Buffer> {
    if ('inlineString' in source) return Buffer.from(source.inlineString, 'utf8');
    if ('inline' in source) return Buffer.from(source.inline, 'base64');
    if ('secret' in source) return this.readSecret(mesh, source.secret, field);
    return this.readFile(source.file, field, context);
  }

  private async readSecret(mesh: string, name: string, field: string): Promise<Buffer> {
    const record = await this.store.get({ type: ResourceType.Secret, mesh, name });
    if (!record) {
      throw new ValidationError([
        {
          field: `${field}.secret`,
          message: `could not load data: secret "${name}" not found in mesh "${mesh}"`,
        },
      ]);
    }
    return secretBytes(record.spec as SecretSpec);
  }

  private async readFile(path: string, field: string, context: ReadContext): Promise<Buffer> {
    try {
      return await this.files.readFile(path);
    } catch (error) {
      const message = context.admin
        ? `could not load data: cannot read file "${path}": ${reasonOf(error)}`
        : `could not load data: cannot read file "${path}" (it must be a regular file of at most 1 MiB that the control plane can read)`;
      throw new ValidationError([{ field: `${field}.file`, message }]);
    }
  }
}

/** What an admin is told: the refusal, or the system's error code (ENOENT, EACCES, ...). */
function reasonOf(error: unknown): string {
  if (error instanceof FileSourceError) return error.message;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return `no such file (${code})`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied (${code})`;
  return code ?? 'unreadable';
}
