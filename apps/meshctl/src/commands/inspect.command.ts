import type { Command } from 'commander';
import type { UniversalDoc } from '../api-client';
import { UsageError } from '../cli-errors';
import { isRecord } from '../json.util';
import { formatAge } from '../output/age.formatter';
import { dataplaneTags } from '../output/resource-columns';
import { formatJson, formatYaml, isOutputFormat } from '../output/structured.formatter';
import { formatTable } from '../output/table.formatter';
import type { CommandContext } from './command-context';

interface InspectOptions {
  readonly mesh: string;
  readonly output: string;
}

const EXAMPLES = `
Examples:
  $ meshctl inspect dataplanes --mesh payments
  $ meshctl inspect dataplanes -o yaml
  $ meshctl inspect meshes`;

/** `meshctl inspect dataplanes|meshes`: what the control plane observed, as kumactl shows it. */
export function registerInspectCommand(program: Command, ctx: CommandContext): void {
  program
    .command('inspect')
    .description('show dataplanes with their streams and certificates, or meshes with their summary')
    .argument('<what>', 'dataplanes or meshes')
    .option('-m, --mesh <mesh>', 'mesh of the dataplanes', 'default')
    .option('-o, --output <format>', 'output format: table, yaml or json', 'table')
    .addHelpText('after', EXAMPLES)
    .action(async (what: string, options: InspectOptions, cmd: Command) => {
      if (!isOutputFormat(options.output)) {
        throw new UsageError(`unknown output format "${options.output}"; use table, yaml or json`);
      }
      const client = await ctx.client(cmd);
      let page;
      let table: () => string;
      if (['dataplanes', 'dataplane', 'dp', 'dps'].includes(what)) {
        page = await client.listAll(`/meshes/${encodeURIComponent(options.mesh)}/dataplanes+insights`, 1000);
        table = () => dataplaneTable(page!.items, ctx.now());
      } else if (['meshes', 'mesh'].includes(what)) {
        page = await client.listAll('/mesh-insights', 1000);
        table = () => meshTable(page!.items);
      } else {
        throw new UsageError(`cannot inspect "${what}": use dataplanes or meshes`);
      }
      const out =
        options.output === 'json' ? formatJson(page) : options.output === 'yaml' ? formatYaml(page) : table();
      ctx.io.stdout.write(out);
    });
}

/** kumactl's columns for `inspect dataplanes`. */
function dataplaneTable(items: readonly UniversalDoc[], now: Date): string {
  const rows = items.map((item) => {
    const networking =
      isRecord(item.dataplane) && isRecord(item.dataplane.networking) ? item.dataplane.networking : {};
    const insight = isRecord(item.dataplaneInsight) ? item.dataplaneInsight : {};
    const subs = Array.isArray(insight.subscriptions) ? insight.subscriptions.filter(isRecord) : [];
    const last = subs[subs.length - 1];
    const mtls = isRecord(insight.mTLS) ? insight.mTLS : {};
    const supported = Array.isArray(mtls.supportedBackends) ? mtls.supportedBackends.join(',') : '';
    return [
      String(item.mesh ?? '-'),
      String(item.name ?? '-'),
      dataplaneTags(networking),
      last && last.disconnectTime === undefined ? 'Online' : 'Offline',
      formatAge(last?.connectTime, now),
      formatAge(mtls.lastCertificateRegeneration, now),
      typeof mtls.certificateExpirationTime === 'string' ? mtls.certificateExpirationTime : '-',
      String(typeof mtls.certificateRegenerations === 'number' ? mtls.certificateRegenerations : 0),
      typeof mtls.issuedBackend === 'string' ? mtls.issuedBackend : '-',
      supported || '-',
    ];
  });
  return formatTable(
    [
      'MESH',
      'NAME',
      'TAGS',
      'STATUS',
      'LAST CONNECTED AGO',
      'CERT REGENERATED AGO',
      'CERT EXPIRATION',
      'CERT REGENERATIONS',
      'CERT BACKEND',
      'SUPPORTED CERT BACKENDS',
    ],
    rows,
  );
}

/** One line per mesh: dataplanes, online, certificates by backend, the earliest CA expiry. */
function meshTable(items: readonly UniversalDoc[]): string {
  const rows = items.map((item) => {
    const dataplanes = isRecord(item.dataplanes) ? item.dataplanes : {};
    const mtls = isRecord(item.mTLS) ? item.mTLS : {};
    const issued = isRecord(mtls.issuedBackends) ? mtls.issuedBackends : {};
    const cas = Array.isArray(item.caCertificates) ? item.caCertificates.filter(isRecord) : [];
    const earliest = cas
      .map((ca) => String(ca.notAfter))
      .sort()
      .at(0);
    return [
      String(item.name ?? '-'),
      String(dataplanes.total ?? 0),
      String(dataplanes.online ?? 0),
      Object.entries(issued)
        .map(([backend, counts]) => `${backend}=${isRecord(counts) ? String(counts.total) : '?'}`)
        .join(',') || '-',
      earliest ?? '-',
    ];
  });
  return formatTable(['NAME', 'DATAPLANES', 'ONLINE', 'ISSUED BACKENDS', 'CA EXPIRATION'], rows);
}
