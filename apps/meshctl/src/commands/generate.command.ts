import { InvalidArgumentError, Option, type Command } from 'commander';
import { ApiClient, toApiError } from '../api-client';
import { ApiError, ConnectionError, UsageError } from '../cli-errors';
import { DEFAULT_TIMEOUT_MS } from '../config';
import type { CommandContext } from './command-context';

interface DataplaneTokenOptions {
  readonly mesh: string;
  readonly name?: string;
  readonly tag?: Readonly<Record<string, readonly string[]>>;
  readonly proxyType?: string;
  readonly type?: string;
  readonly workload?: string;
  readonly validFor?: string;
  readonly signingKeyPath?: string;
  readonly kid?: string;
}

const EXAMPLES = `
Examples:
  $ meshctl generate dataplane-token --name web-1 --valid-for 24h > /tmp/web-1.token
  $ meshctl generate dataplane-token --mesh demo --tag kuma.io/service=web,web-api --valid-for 24h
  $ meshctl generate dataplane-token --mesh demo --workload backend --valid-for 24h

Without --name the token is for any dataplane of the mesh its tags allow. Each --tag key=v1,v2 lets
every inbound of the Dataplane carry that tag with one of the values. --workload binds the token to
the Dataplane's kuma.io/workload label. Generating tokens needs the admin (localhost in standalone
mode, else --token).`;

/** The flags and request body of `kumactl generate dataplane-token`, so the same command works here. */
export function registerGenerateCommand(program: Command, ctx: CommandContext): void {
  const generate = program.command('generate').description('generate tokens');
  generate
    .command('dataplane-token')
    .description('generate the token a dataplane connects with (POST /tokens/dataplane)')
    .option('-m, --mesh <mesh>', 'mesh of the dataplane', 'default')
    .option('--name <name>', 'name of the Dataplane; without it, any dataplane of the mesh')
    .option(
      '--tag <key=values>',
      'required tag values (split values by comma to provide several); repeat for several tags',
      collectTag,
    )
    .option('--proxy-type <type>', 'type of the Dataplane ("dataplane")')
    .addOption(new Option('--type <type>', 'deprecated: use --proxy-type').hideHelp())
    .option('--workload <workload>', 'required kuma.io/workload label value of the Dataplane')
    .option(
      '--valid-for <duration>',
      'how long the token is valid, e.g. 24h, 1h30m or 30d (default 10y, at most 10y)',
    )
    .addOption(new Option('--signing-key-path <path>').hideHelp())
    .addOption(new Option('--kid <kid>').hideHelp())
    .addHelpText('after', EXAMPLES)
    .action(async (options: DataplaneTokenOptions, cmd: Command) => {
      if (options.signingKeyPath !== undefined || options.kid !== undefined) {
        throw new UsageError(
          '--signing-key-path and --kid are not supported: tokens are signed by the control plane, whose signing keys never leave it.',
        );
      }
      // kumactl's body, field for field: empty strings where a binding is not asked for.
      const token = await postForText(ctx, cmd, '/tokens/dataplane', {
        name: options.name ?? '',
        mesh: options.mesh,
        tags: options.tag ?? {},
        type: options.proxyType ?? options.type ?? '',
        workload: options.workload ?? '',
        validFor: options.validFor ?? '',
      });
      ctx.io.stdout.write(`${token}\n`);
    });
}

/**
 * Commander parser for repeatable `--tag key=v1,v2`, read as kumactl reads it: one `=` makes one tag
 * whose values are split on commas; several (`a=1,b=2`) make one tag per comma-separated pair. The
 * same tag given twice with other values is refused rather than silently replaced.
 */
export function collectTag(
  value: string,
  previous: Readonly<Record<string, readonly string[]>> = {},
): Record<string, readonly string[]> {
  const pairs = value.split('=').length > 2 ? value.split(',') : [value];
  const tags: Record<string, readonly string[]> = Object.fromEntries(Object.entries(previous));
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at) : '';
    const values = at > 0 ? pair.slice(at + 1).split(',') : [];
    if (key === '' || values.some((v) => v === '')) {
      throw new InvalidArgumentError('expected key=value or key=value1,value2, e.g. kuma.io/service=web.');
    }
    const distinct = [...new Set(values)].sort();
    if (Object.hasOwn(tags, key) && tags[key].join(',') !== distinct.join(',')) {
      throw new InvalidArgumentError(
        `tag ${key} is given twice with different values; give them once: --tag ${key}=v1,v2.`,
      );
    }
    tags[key] = distinct;
  }
  return tags;
}

/**
 * POSTs JSON and returns the plain-text answer (a token). Errors are the ones every command raises:
 * `ApiError` with the API's field errors, `ConnectionError` when nothing answered.
 */
async function postForText(
  ctx: CommandContext,
  cmd: Command,
  path: string,
  payload: unknown,
): Promise<string> {
  const config = await ctx.config(cmd);
  const timeout = ctx.globals(cmd).timeout;
  const timeoutMs = timeout === undefined ? DEFAULT_TIMEOUT_MS : timeout * 1000;
  const token = config.token.value;
  const url = new ApiClient({ baseUrl: config.apiAddress.value, token, timeoutMs }).urlFor(path);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'text/plain, application/json',
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    throw new ConnectionError(config.apiAddress.value.replace(/\/+$/, ''), failureReason(err, timeoutMs), {
      cause: err,
    });
  }
  if (!response.ok) throw toApiError(response, parseJson(text), text);
  const answer = text.trim();
  if (answer === '' || /\s/.test(answer)) {
    throw new ApiError(response.status, `the control plane answered POST ${path} without a token`);
  }
  return answer;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function failureReason(err: unknown, timeoutMs: number): string {
  // fetch's timeout is a DOMException, not an `Error` of every realm (jest's): test the name.
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs / 1000}s`;
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (typeof code === 'string') return code.toLowerCase();
  return err instanceof Error ? err.message : String(err);
}
