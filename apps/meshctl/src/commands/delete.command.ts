import type { Command } from 'commander';
import { describeRef, knownTypeWords, resolveTypeWord } from '../resources/resource-ref';
import type { CommandContext } from './command-context';
import { deleteOne } from './single-resource.helper';

const EXAMPLES = `
Types: ${knownTypeWords().join(', ')} (singular forms and dp, mtp work too).

Examples:
  $ meshctl delete mesh payments
  $ meshctl delete dataplane web-1 --mesh default
  $ meshctl delete mtp allow-web`;

export function registerDeleteCommand(program: Command, ctx: CommandContext): void {
  program
    .command('delete')
    .description('delete one resource')
    .argument('<type>', 'resource type, e.g. mesh, secret, global-secret, dataplane, meshtrafficpermission')
    .argument('<name>', 'the name of the resource')
    .option('-m, --mesh <mesh>', 'mesh of mesh-scoped types', 'default')
    .addHelpText('after', EXAMPLES)
    .action(async (typeWord: string, name: string, options: { mesh: string }, cmd: Command) => {
      const descriptor = resolveTypeWord(typeWord);
      const ref = { descriptor, name, mesh: descriptor.scope === 'mesh' ? options.mesh : undefined };
      await deleteOne(await ctx.client(cmd), ref);
      ctx.io.stdout.write(`${describeRef(ref)} deleted\n`);
    });
}
