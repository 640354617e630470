import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '@meshtls/util';
import YAML from 'yaml';
import { isRecord } from './json.util';

export const DEFAULT_API_ADDRESS = 'http://127.0.0.1:5681';
export const DEFAULT_TIMEOUT_MS = 10_000;

export const ConfigEnv = {
  apiAddress: 'MESHCTL_API_ADDRESS',
  token: 'MESHCTL_TOKEN',
  configPath: 'MESHCTL_CONFIG',
} as const;

/** What the config file holds (all optional). */
export interface StoredConfig {
  apiAddress?: string;
  token?: string;
}

export type ConfigSource = 'flag' | 'env' | 'file' | 'default';

export interface Sourced<T> {
  readonly value: T;
  readonly source: ConfigSource;
}

/** The settings one command runs with, each with where it came from (shown by `config view`). */
export interface ResolvedConfig {
  readonly apiAddress: Sourced<string>;
  readonly token: Sourced<string | undefined>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `$MESHCTL_CONFIG`, else `~/.config/meshctl/config.yaml`. */
export function configFilePath(env: Env): string {
  const explicit = env[ConfigEnv.configPath];
  if (explicit) return explicit;
  return join(env.HOME || homedir(), '.config', 'meshctl', 'config.yaml');
}

/**
 * Precedence: flag > environment > config file > default. An empty value counts as unset, so
 * `MESHCTL_TOKEN=` does not hide the token of the file.
 */
export function resolveConfig(flags: StoredConfig, env: Env, file: StoredConfig): ResolvedConfig {
  const pick = (flag?: string, fromEnv?: string, fromFile?: string): Sourced<string> | undefined => {
    if (flag) return { value: flag, source: 'flag' };
    if (fromEnv) return { value: fromEnv, source: 'env' };
    if (fromFile) return { value: fromFile, source: 'file' };
    return undefined;
  };
  const address = pick(flags.apiAddress, env[ConfigEnv.apiAddress], file.apiAddress) ?? {
    value: DEFAULT_API_ADDRESS,
    source: 'default' as const,
  };
  checkApiAddress(address.value, describeSource(address.source, ConfigEnv.apiAddress));
  const token = pick(flags.token, env[ConfigEnv.token], file.token) ?? {
    value: undefined,
    source: 'default',
  };
  return { apiAddress: address, token };
}

/** Throws a ConfigError naming where the bad address came from. */
export function checkApiAddress(value: string, origin: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(`api address "${value}" (${origin}) must be an http:// or https:// URL`);
  }
}

export function describeSource(source: ConfigSource, envName: string): string {
  switch (source) {
    case 'flag':
      return 'from the command line';
    case 'env':
      return `from ${envName}`;
    case 'file':
      return 'from the config file';
    default:
      return 'default';
  }
}

/** Reads the config file; a missing file is an empty config, an unreadable one a ConfigError. */
export async function readConfigFile(path: string): Promise<StoredConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (parsed == null) return {};
  if (!isRecord(parsed)) throw new ConfigError(`config file ${path} must be a mapping`);
  return {
    apiAddress: typeof parsed.apiAddress === 'string' ? parsed.apiAddress : undefined,
    token: typeof parsed.token === 'string' ? parsed.token : undefined,
  };
}

/** Writes the config file readable by its owner only: it may hold a token. */
export async function writeConfigFile(path: string, config: StoredConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const clean: StoredConfig = {};
  if (config.apiAddress) clean.apiAddress = config.apiAddress;
  if (config.token) clean.token = config.token;
  await writeFile(path, YAML.stringify(clean), { mode: 0o600 });
  // `mode` only applies when the file is created; an older file may be wider.
  await chmod(path, 0o600);
}

/** Shows only enough of a token to tell two apart. */
export function maskToken(token: string | undefined): string {
  if (!token) return '(none)';
  if (token.length <= 12) return '*'.repeat(8);
  return `${'*'.repeat(8)}${token.slice(-4)}`;
}
