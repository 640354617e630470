import { systemClock } from '@meshtls/util';
import type { Command } from 'commander';
import { ApiClient } from '../api-client';
import type { CliIo } from '../cli-io';
import {
  DEFAULT_TIMEOUT_MS,
  configFilePath,
  readConfigFile,
  resolveConfig,
  type ResolvedConfig,
  type StoredConfig,
} from '../config';

/** The global options every command accepts (declared once on the root program). */
export interface GlobalOptions {
  readonly apiAddress?: string;
  readonly token?: string;
  readonly timeout?: number;
}

/** What a command needs from the outside, built once per `run`. */
export class CommandContext {
  constructor(readonly io: CliIo) {}

  now(): Date {
    return (this.io.clock ?? systemClock).now();
  }

  get configPath(): string {
    return configFilePath(this.io.env);
  }

  /** The global flags as given on the command line (wherever they appeared). */
  globals(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals<GlobalOptions>();
  }

  async config(cmd: Command): Promise<ResolvedConfig> {
    const flags: StoredConfig = this.globals(cmd);
    return resolveConfig(flags, this.io.env, await readConfigFile(this.configPath));
  }

  async client(cmd: Command): Promise<ApiClient> {
    const config = await this.config(cmd);
    const timeout = this.globals(cmd).timeout;
    return new ApiClient({
      baseUrl: config.apiAddress.value,
      token: config.token.value,
      timeoutMs: timeout === undefined ? DEFAULT_TIMEOUT_MS : timeout * 1000,
    });
  }
}
