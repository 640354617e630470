import type { Command } from 'commander';
import { UsageError } from '../cli-errors';
import {
  ConfigEnv,
  checkApiAddress,
  describeSource,
  maskToken,
  readConfigFile,
  writeConfigFile,
  type StoredConfig,
} from '../config';
import type { CommandContext } from './command-context';

const EXAMPLES = `
Settings are taken from, in order: the command line (--api-address, --token),
the environment (${ConfigEnv.apiAddress}, ${ConfigEnv.token}), the config file
(${ConfigEnv.configPath}, else ~/.config/meshctl/config.yaml), the default (http://127.0.0.1:5681).

Examples:
  $ meshctl config set --api-address https://mesh.example.com:5681 --token "$(cat admin.token)"
  $ meshctl config set --token ''     # forget the stored token
  $ meshctl config view`;

export function registerConfigCommand(program: Command, ctx: CommandContext): void {
  const config = program
    .command('config')
    .description('show or change the stored settings (API address, token)')
    .addHelpText('after', EXAMPLES);

  config
    .command('set')
    .description('store --api-address and/or --token in the config file (written readable by you only)')
    .addHelpText(
      'after',
      '\nExample:\n  $ meshctl config set --api-address http://10.0.0.5:5681 --token "$TOKEN"',
    )
    .action(async (_options: unknown, cmd: Command) => {
      const { apiAddress, token } = ctx.globals(cmd);
      if (apiAddress === undefined && token === undefined) {
        throw new UsageError('nothing to set: give --api-address URL and/or --token TOKEN');
      }
      if (apiAddress !== undefined) checkApiAddress(apiAddress, 'from --api-address');
      const path = ctx.configPath;
      const stored: StoredConfig = { ...(await readConfigFile(path)) };
      if (apiAddress !== undefined) stored.apiAddress = apiAddress;
      if (token !== undefined) stored.token = token;
      await writeConfigFile(path, stored);
      ctx.io.stdout.write(`Config written to ${path}\n`);
    });

  config
    .command('view')
    .description('show the settings a command would use, and where each comes from (token masked)')
    .action(async (_options: unknown, cmd: Command) => {
      const resolved = await ctx.config(cmd);
      const lines = [
        `config file: ${ctx.configPath}`,
        `api address: ${resolved.apiAddress.value} (${describeSource(resolved.apiAddress.source, ConfigEnv.apiAddress)})`,
        `token: ${maskToken(resolved.token.value)}${
          resolved.token.value ? ` (${describeSource(resolved.token.source, ConfigEnv.token)})` : ''
        }`,
      ];
      ctx.io.stdout.write(`${lines.join('\n')}\n`);
    });
}
