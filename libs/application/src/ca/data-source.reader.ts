import { readFile } from 'node:fs/promises';
import {
  ResourceType,
  ValidationError,
  secretBytes,
  type DataSource,
  type SecretSpec,
} from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';

/** Reads files named by `file` data sources; a port so tests and other hosts can supply their own. */
export interface FileReader {
  readFile(path: string): Promise<Buffer>;
}

export const nodeFileReader: FileReader = { readFile: (path) => readFile(path) };

/**
 * Resolves a provided CA's data source (`secret` of the same mesh, `inline` base64, `inlineString`, `file`)
 * to bytes. A source that cannot be read is a field error on `field`, never a crash.
 */
export class DataSourceReader {
  constructor(
    private readonly store: ResourceStore,
    private readonly files: FileReader = nodeFileReader,
  ) {}

  async read(mesh: string, source: DataSource, field: string): Promise<Buffer> {
    if ('inlineString' in source) return Buffer.from(source.inlineString, 'utf8');
    if ('inline' in source) return Buffer.from(source.inline, 'base64');
    if ('secret' in source) return this.readSecret(mesh, source.secret, field);
    return this.readFile(source.file, field);
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

  private async readFile(path: string, field: string): Promise<Buffer> {
    try {
      return await this.files.readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ValidationError([
        { field: `${field}.file`, message: `could not load data: cannot read file "${path}": ${code}` },
      ]);
    }
  }
}
