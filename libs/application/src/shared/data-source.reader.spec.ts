import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import {
  DataSourceReader,
  FileSourceError,
  MAX_FILE_SOURCE_BYTES,
  readBoundedFile,
  type FileReader,
} from './data-source.reader';

const dir = mkdtempSync(join(tmpdir(), 'meshtls-data-source-'));
const store = new MemoryResourceStore(new FakeClock('2026-06-01T00:00:00Z'));

/** What `promise` was refused with. */
async function refusal(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: Error) => error,
  );
  if (!outcome) throw new Error('expected a refusal');
  return outcome;
}

/** The reason readBoundedFile gives for `path`: its refusal, or the system's error code. */
async function reasonFor(path: string, maxBytes?: number): Promise<string> {
  const error = await refusal(readBoundedFile(path, maxBytes));
  return error instanceof FileSourceError ? error.reason : String((error as NodeJS.ErrnoException).code);
}

describe('readBoundedFile', () => {
  it('reads a regular file, up to exactly the limit', async () => {
    const file = join(dir, 'exact.pem');
    writeFileSync(file, Buffer.alloc(MAX_FILE_SOURCE_BYTES, 'a'));
    expect((await readBoundedFile(file)).length).toBe(MAX_FILE_SOURCE_BYTES);
    writeFileSync(join(dir, 'small.pem'), 'hello');
    expect((await readBoundedFile(join(dir, 'small.pem'))).toString()).toBe('hello');
  });

  it('refuses /dev/zero, and a link to it, as not a regular file', async () => {
    symlinkSync('/dev/zero', join(dir, 'zero-link'));
    expect(await reasonFor('/dev/zero')).toBe('not-regular');
    expect(await reasonFor(join(dir, 'zero-link'))).toBe('not-regular');
  });

  it('refuses a FIFO without waiting for a writer, and a directory', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await reasonFor(fifo)).toBe('not-regular');
    expect(await reasonFor(dir)).toBe('not-regular');
  });

  it('refuses a file larger than 1 MiB by its size', async () => {
    const file = join(dir, 'large.pem');
    writeFileSync(file, '');
    truncateSync(file, 512 * MAX_FILE_SOURCE_BYTES); // sparse: nothing is written, its size says 512 MiB
    expect(await reasonFor(file)).toBe('too-large');
    truncateSync(file, MAX_FILE_SOURCE_BYTES + 1);
    expect(await reasonFor(file)).toBe('too-large');
  });

  it('stops reading one byte past the limit when the size said less (a file of /proc says 0)', async () => {
    expect(await reasonFor('/proc/self/status', 16)).toBe('too-large');
    expect((await readBoundedFile('/proc/self/status')).toString()).toContain('Name:');
  });

  it('passes on the system error of a missing file', async () => {
    expect(await reasonFor(join(dir, 'missing.pem'))).toBe('ENOENT');
  });
});

describe('DataSourceReader, file sources', () => {
  const PATH = '/etc/meshtls/ca.key';
  const failing = (error: Error): FileReader => ({ readFile: () => Promise.reject(error) });
  const errno = (code: string) => Object.assign(new Error(`${code}: ${PATH}`), { code });
  const FAILURES: Record<string, Error> = {
    missing: errno('ENOENT'),
    unreadable: errno('EACCES'),
    'not regular': new FileSourceError('not-regular', 'not a regular file'),
    'too large': new FileSourceError('too-large', `larger than ${MAX_FILE_SOURCE_BYTES} bytes`),
  };

  async function messageFor(error: Error, admin: boolean): Promise<unknown> {
    const reader = new DataSourceReader(store, failing(error));
    const refused = await refusal(reader.read('default', { file: PATH }, 'conf.key', { admin }));
    expect(refused).toBeInstanceOf(ValidationError);
    return (refused as ValidationError).violations;
  }

  it('tells anyone but an admin one message, whatever the reason', async () => {
    const messages = await Promise.all(Object.values(FAILURES).map((e) => messageFor(e, false)));
    for (const violations of messages) {
      expect(violations).toEqual([
        {
          field: 'conf.key.file',
          message:
            'could not load data: cannot read file "/etc/meshtls/ca.key" (it must be a regular file of at ' +
            'most 1 MiB that the control plane can read)',
        },
      ]);
    }
  });

  it('tells an admin the reason', async () => {
    const messages = await Promise.all(Object.values(FAILURES).map((e) => messageFor(e, true)));
    expect(messages.map((v) => (v as { message: string }[])[0]!.message)).toEqual([
      'could not load data: cannot read file "/etc/meshtls/ca.key": no such file (ENOENT)',
      'could not load data: cannot read file "/etc/meshtls/ca.key": permission denied (EACCES)',
      'could not load data: cannot read file "/etc/meshtls/ca.key": not a regular file',
      `could not load data: cannot read file "/etc/meshtls/ca.key": larger than ${MAX_FILE_SOURCE_BYTES} bytes`,
    ]);
  });

  it('is not an admin unless told so', async () => {
    const reader = new DataSourceReader(store, failing(FAILURES.missing!));
    const refused = (await refusal(reader.read('default', { file: PATH }, 'conf.key'))) as ValidationError;
    expect(refused.violations[0]!.message).not.toContain('ENOENT');
  });

  it('reads through the bounded reader by default', async () => {
    const reader = new DataSourceReader(store);
    const refused = (await refusal(
      reader.read('default', { file: '/dev/zero' }, 'conf.cert', { admin: true }),
    )) as ValidationError;
    expect(refused.violations).toEqual([
      {
        field: 'conf.cert.file',
        message: 'could not load data: cannot read file "/dev/zero": not a regular file',
      },
    ]);
  });
});
