import type { ApiResourceType, ResourceDescriptor } from '@meshtls/domain';
import type { Command } from 'commander';
import type { ApiClient, ListPage, UniversalDoc } from '../api-client';
import { UsageError } from '../cli-errors';
import { RESOURCE_COLUMNS } from '../output/resource-columns';
import { formatJson, formatYaml, isOutputFormat, type OutputFormat } from '../output/structured.formatter';
import { formatTable } from '../output/table.formatter';
import { collectionPath, knownTypeWords, resolveTypeWord } from '../resources/resource-ref';
import type { CommandContext } from './command-context';
import { integerIn } from './option-parsers';
import { getOne } from './single-resource.helper';

interface GetOptions {
  readonly mesh: string;
  readonly output: string;
  readonly offset?: number;
  readonly size?: number;
}

/** Page size when fetching a whole collection: the API's maximum, for the fewest round trips. */
const FETCH_ALL_PAGE_SIZE = 1000;

const EXAMPLES = `
Types: ${knownTypeWords().join(', ')} (singular forms and dp, mtp work too).

Without --offset/--size every page is fetched (following "next"); with either, one page is shown.

Examples:
  $ meshctl get meshes
  $ meshctl get mesh default -o yaml
  $ meshctl get dataplanes --mesh payments
  $ meshctl get mtp allow-web -o json
  $ meshctl get secrets --size 10 --offset 20`;

export function registerGetCommand(program: Command, ctx: CommandContext): void {
  program
    .command('get')
    .description('show one resource, or list the resources of a type')
    .argument(
      '<type>',
      'resource type, e.g. meshes, secrets, global-secrets, dataplanes, meshtrafficpermissions',
    )
    .argument('[name]', 'the name of one resource')
    .option('-m, --mesh <mesh>', 'mesh of mesh-scoped types', 'default')
    .option('-o, --output <format>', 'output format: table, yaml or json', 'table')
    .option('--offset <n>', 'list one page starting at this item', integerIn(0, Number.MAX_SAFE_INTEGER))
    .option('--size <n>', 'list one page of at most this many items (1-1000)', integerIn(1, 1000))
    .addHelpText('after', EXAMPLES)
    .action(async (typeWord: string, name: string | undefined, options: GetOptions, cmd: Command) => {
      const descriptor = resolveTypeWord(typeWord);
      const format = options.output;
      if (!isOutputFormat(format))
        throw new UsageError(`unknown output format "${format}"; use table, yaml or json`);
      const client = await ctx.client(cmd);
      const mesh = descriptor.scope === 'mesh' ? options.mesh : undefined;
      if (name !== undefined) {
        const doc = await getOne(client, { descriptor, name, mesh });
        ctx.io.stdout.write(render(format, descriptor, doc, [doc], ctx.now()));
        return;
      }
      const page = await fetchList(client, collectionPath(descriptor, mesh), options);
      ctx.io.stdout.write(render(format, descriptor, page, page.items, ctx.now()));
      if (page.next && format === 'table') {
        ctx.io.stderr.write(
          `Showing ${page.items.length} of ${page.total}; next page: ${nextPageHint(page.next)}\n`,
        );
      }
    });
}

function fetchList(client: ApiClient, collection: string, options: GetOptions): Promise<ListPage> {
  if (options.offset === undefined && options.size === undefined) {
    return client.listAll(collection, FETCH_ALL_PAGE_SIZE);
  }
  return client.listPage(collection, { offset: options.offset, size: options.size });
}

/** yaml/json print what the API returned (a list keeps kumactl's `{total, items, next}` shape). */
function render(
  format: OutputFormat,
  descriptor: ResourceDescriptor,
  whole: unknown,
  rows: readonly UniversalDoc[],
  now: Date,
): string {
  if (format === 'json') return formatJson(whole);
  if (format === 'yaml') return formatYaml(whole);
  // The CLI names only the API's types (`descriptorForAlias`).
  const columns = RESOURCE_COLUMNS[descriptor.type as ApiResourceType];
  return formatTable(
    columns.headers,
    rows.map((doc) => columns.row(doc, now)),
  );
}

function nextPageHint(next: string): string {
  const query = new URL(next, 'http://placeholder').searchParams;
  const parts = ['offset', 'size'].filter((k) => query.has(k)).map((k) => `--${k} ${query.get(k)}`);
  return parts.length > 0 ? parts.join(' ') : next;
}
