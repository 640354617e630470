import type { Command } from 'commander';
import { UsageError } from '../cli-errors';
import { dataplaneOverviewTable, meshInsightTable, type InspectTable } from '../output/inspect-tables';
import { formatJson, formatYaml, isOutputFormat } from '../output/structured.formatter';
import { formatTable } from '../output/table.formatter';
import type { CommandContext } from './command-context';

interface InspectOptions {
  readonly mesh: string;
  readonly output: string;
  readonly tag: readonly string[];
  readonly gateway?: boolean;
}

/** kumactl's `--tag key=value` (repeated, or several joined by commas), collected as given. */
const collect = (value: string, previous: readonly string[]): string[] => [...previous, value];

/** The query of Kuma's dataplane filters: `tag=key:value` for each tag, `gateway=true`. */
export function dataplaneFilterQuery(tags: readonly string[], gateway: boolean): string {
  const query = new URLSearchParams();
  if (gateway) query.append('gateway', 'true');
  for (const pair of tags.flatMap((t) => t.split(','))) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`invalid --tag "${pair}": use key=value`);
    query.append('tag', `${pair.slice(0, at)}:${pair.slice(at + 1)}`);
  }
  return query.toString();
}

const EXAMPLES = `
Examples:
  $ meshctl inspect dataplanes --mesh payments
  $ meshctl inspect dataplanes --tag kuma.io/service=web --tag version=v1
  $ meshctl inspect dataplanes -o yaml
  $ meshctl inspect meshes
  $ meshctl inspect meshes -o yaml

inspect meshes: CA SWITCH is the mesh's CA switch, e.g. "ca-1→ca-2 waiting-for-bundle 3/4" (3 of 4
online dataplanes acknowledged), "ca-1→ca-2 done", or "-" (never switched); -o yaml|json shows it as
mTLS.caSwitch with the dataplanes still waited for (waitingFor).`;

/**
 * `meshctl inspect dataplanes|meshes`: what the control plane observed, in kumactl's columns and formats
 * (ours after them).
 */
export function registerInspectCommand(program: Command, ctx: CommandContext): void {
  program
    .command('inspect')
    .description('show dataplanes with their streams and certificates, or meshes with their summary')
    .argument('<what>', 'dataplanes or meshes')
    .option('-m, --mesh <mesh>', 'mesh of the dataplanes', 'default')
    .option('-o, --output <format>', 'output format: table, yaml or json', 'table')
    .option(
      '--tag <key=value>',
      'only dataplanes with an inbound tagged so (a part of the value matches)',
      collect,
      [],
    )
    .option('--gateway', 'only gateway dataplanes')
    .addHelpText('after', EXAMPLES)
    .action(async (what: string, options: InspectOptions, cmd: Command) => {
      if (!isOutputFormat(options.output)) {
        throw new UsageError(`unknown output format "${options.output}"; use table, yaml or json`);
      }
      const client = await ctx.client(cmd);
      let page;
      let table: () => string;
      if (['dataplanes', 'dataplane', 'dp', 'dps'].includes(what)) {
        const query = dataplaneFilterQuery(options.tag, options.gateway === true);
        const path = `/meshes/${encodeURIComponent(options.mesh)}/dataplanes+insights`;
        page = await client.listAll(query ? `${path}?${query}` : path, 1000);
        table = () => layout(dataplaneOverviewTable(page!.items, ctx.now()));
      } else if (['meshes', 'mesh'].includes(what)) {
        page = await client.listAll('/mesh-insights', 1000);
        table = () => layout(meshInsightTable(page!.items));
      } else {
        throw new UsageError(`cannot inspect "${what}": use dataplanes or meshes`);
      }
      const out =
        options.output === 'json' ? formatJson(page) : options.output === 'yaml' ? formatYaml(page) : table();
      ctx.io.stdout.write(out);
    });
}

const layout = (table: InspectTable): string => formatTable(table.headers, table.rows);
