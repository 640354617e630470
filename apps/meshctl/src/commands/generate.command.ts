import { InvalidArgumentError, type Command } from 'commander';
import { ApiClient, toApiError } from '../api-client';
import { ApiError, ConnectionError } from '../cli-errors';
import { DEFAULT_TIMEOUT_MS } from '../config';
import type { CommandContext } from './command-context';

interface DataplaneTokenOptions {
  readonly mesh: string;
  readonly name: string;
  readonly tag?: Readonly<Record<string, string>>;
  readonly validFor?: string;
}

const EXAMPLES = `
Examples:
  $ meshctl generate dataplane-token --name web-1 > /tmp/web-1.token
  $ meshctl generate dataplane-token --mesh payments --name web-1 --tag kuma.io/service=web --valid-for 24h

The token binds the dataplane's mesh and name, and each --tag must be carried by every inbound of
the Dataplane resource. Generating tokens needs the admin (localhost in standalone mode, else --token).`;

export function registerGenerateCommand(program: Command, ctx: CommandContext): void {
  const generate = program.command('generate').description('generate tokens');
  generate
    .command('dataplane-token')
    .description('generate the token a dataplane connects with (POST /tokens/dataplane)')
    .option('-m, --mesh <mesh>', 'mesh of the dataplane', 'default')
    .requiredOption('--name <name>', 'name of the Dataplane resource the token is for')
    .option('--tag <key=value>', 'a tag every inbound must carry; repeat for several', collectTag)
    .option(
      '--valid-for <duration>',
      'how long the token is valid, e.g. 24h or 30d (default 1y, at most 10y)',
    )
    .addHelpText('after', EXAMPLES)
    .action(async (options: DataplaneTokenOptions, cmd: Command) => {
      const token = await postForText(ctx, cmd, '/tokens/dataplane', {
        mesh: options.mesh,
        name: options.name,
        // Kuma's request form (a list per tag), so the same command works against Kuma too.
        tags: Object.fromEntries(Object.entries(options.tag ?? {}).map(([k, v]) => [k, [v]])),
        ...(options.validFor !== undefined ? { validFor: options.validFor } : {}),
      });
      ctx.io.stdout.write(`${token}\n`);
    });
}

/** Commander parser for repeatable `--tag key=value`; a token binds one value per tag. */
export function collectTag(
  value: string,
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const at = value.indexOf('=');
  const key = at > 0 ? value.slice(0, at) : '';
  const tagValue = at > 0 ? value.slice(at + 1) : '';
  if (key === '' || tagValue === '')
    throw new InvalidArgumentError('expected key=value, e.g. kuma.io/service=web.');
  if (tagValue.includes(','))
    throw new InvalidArgumentError('a token binds one value per tag; drop the comma.');
  if (Object.hasOwn(previous, key) && previous[key] !== tagValue) {
    throw new InvalidArgumentError(`tag ${key} is given twice with different values.`);
  }
  return Object.fromEntries([...Object.entries(previous), [key, tagValue]]);
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
