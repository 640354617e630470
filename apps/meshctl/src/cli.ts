import { Command, CommanderError } from 'commander';
import type { CliIo } from './cli-io';
import { registerApplyCommand } from './commands/apply.command';
import { CommandContext } from './commands/command-context';
import { registerConfigCommand } from './commands/config.command';
import { registerDeleteCommand } from './commands/delete.command';
import { registerGenerateCommand } from './commands/generate.command';
import { registerGetCommand } from './commands/get.command';
import { registerInspectCommand } from './commands/inspect.command';
import { positiveSeconds } from './commands/option-parsers';
import { formatError } from './output/error.formatter';

export const CLI_VERSION = '0.1.0';

const PROGRAM_EXAMPLES = `
Examples:
  $ meshctl config set --api-address http://127.0.0.1:5681 --token "$TOKEN"
  $ meshctl apply -f mesh.yaml
  $ meshctl get meshes
  $ meshctl get dataplanes --mesh default -o yaml
  $ meshctl delete mtp allow-all --mesh default
  $ meshctl generate dataplane-token --mesh default --name web-1 --valid-for 24h

Global options may be given before or after the command.`;

/**
 * Runs the CLI once with the given arguments (without `node` and the script) and returns the exit code:
 * 0 on success, 1 on a usage or API error. Never throws and never calls `process.exit`, so tests run
 * it in-process.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(new CommandContext(io));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    // Commander has already printed its own message (usage error) or the help/version text.
    if (err instanceof CommanderError) return err.exitCode;
    io.stderr.write(formatError(err, Boolean(io.env.MESHCTL_DEBUG)));
    return 1;
  }
}

/** A fresh program per run: commander keeps parsed state on the command objects. */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('meshctl')
    .description('Manage meshes, secrets, dataplanes and traffic permissions of the mTLS control plane')
    .version(CLI_VERSION)
    .option(
      '--api-address <url>',
      'control plane API address (env MESHCTL_API_ADDRESS; default http://127.0.0.1:5681)',
    )
    .option('--token <token>', 'API token sent as "Authorization: Bearer" (env MESHCTL_TOKEN)')
    .option(
      '--timeout <seconds>',
      'give up on a request after this many seconds (default 10)',
      positiveSeconds,
    )
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', PROGRAM_EXAMPLES);
  registerApplyCommand(program, ctx);
  registerGetCommand(program, ctx);
  registerInspectCommand(program, ctx);
  registerDeleteCommand(program, ctx);
  registerConfigCommand(program, ctx);
  registerGenerateCommand(program, ctx);
  return program;
}
