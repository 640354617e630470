import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ApplyError, UsageError } from '../cli-errors';
import { readAll } from '../cli-io';
import { formatJson } from '../output/structured.formatter';
import { planWrites, splitDocuments, type PlannedWrite, type SourceText } from '../resources/documents';
import { describeRef, resourcePath } from '../resources/resource-ref';
import type { CommandContext } from './command-context';
import { collect } from './option-parsers';

interface ApplyOptions {
  readonly file: string[];
  readonly dryRun?: boolean;
}

const EXAMPLES = `
Examples:
  $ meshctl apply -f mesh.yaml
  $ meshctl apply -f mesh.yaml -f dataplanes.yaml
  $ cat mtp.yaml | meshctl apply -f -
  $ meshctl apply -f mesh.yaml --dry-run

Every document must have "type" and "name" ("mesh" too for Secret, Dataplane and
MeshTrafficPermission). All documents are checked before the first one is sent.`;

export function registerApplyCommand(program: Command, ctx: CommandContext): void {
  program
    .command('apply')
    .description('create or update resources from YAML or JSON files (several documents per file)')
    .option('-f, --file <path>', 'a file to apply, "-" for standard input; repeat for several', collect, [])
    .option('--dry-run', 'print what would be sent, send nothing')
    .addHelpText('after', EXAMPLES)
    .action(async (options: ApplyOptions, cmd: Command) => {
      if (options.file.length === 0)
        throw new UsageError('give at least one file with -f FILE (or -f - for stdin)');
      const sources = await readSources(options.file, ctx);
      const writes = planWrites(sources.flatMap(splitDocuments));
      if (options.dryRun) return printDryRun(writes, ctx, cmd);
      await applyAll(writes, ctx, cmd);
    });
}

async function readSources(files: readonly string[], ctx: CommandContext): Promise<SourceText[]> {
  if (files.filter((f) => f === '-').length > 1)
    throw new UsageError('standard input (-f -) can be read only once');
  const sources: SourceText[] = [];
  for (const file of files) {
    if (file === '-') {
      sources.push({ name: '<stdin>', text: await readAll(ctx.io.stdin) });
      continue;
    }
    try {
      sources.push({ name: file, text: await readFile(file, 'utf8') });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
      throw new UsageError(`cannot read ${file}: ${reason}`);
    }
  }
  return sources;
}

async function printDryRun(
  writes: readonly PlannedWrite[],
  ctx: CommandContext,
  cmd: Command,
): Promise<void> {
  const client = await ctx.client(cmd);
  for (const write of writes) {
    ctx.io.stdout.write(`# ${write.label}: ${describeRef(write.ref)}\n`);
    ctx.io.stdout.write(`PUT ${client.urlFor(resourcePath(write.ref))}\n`);
    ctx.io.stdout.write(formatJson(write.doc));
  }
  ctx.io.stdout.write(`Dry run: ${writes.length} resource(s) checked, nothing was sent\n`);
}

/** Applies in file order and stops at the first refusal: later documents often depend on earlier ones. */
async function applyAll(writes: readonly PlannedWrite[], ctx: CommandContext, cmd: Command): Promise<void> {
  const client = await ctx.client(cmd);
  const applied: string[] = [];
  for (const [index, write] of writes.entries()) {
    const subject = describeRef(write.ref);
    try {
      const result = await client.put(resourcePath(write.ref), write.doc);
      ctx.io.stdout.write(`${subject} ${result.created ? 'created' : 'updated'}\n`);
      for (const warning of result.warnings) ctx.io.stderr.write(`Warning: ${subject}: ${warning}\n`);
      applied.push(subject);
    } catch (err) {
      throw new ApplyError(`${write.label} (${subject})`, applied, writes.length - index - 1, { cause: err });
    }
  }
}
