import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { AppRole } from '@meshtls/contracts';
import { ConfigError } from '@meshtls/util';
import { loadCoreConfig, type RunMode } from '../config/core-config';
import { CoreModule } from '../core.module';
import type { AllowedMethods } from './api-error.filter';
import { bootstrapHttpApp } from './bootstrap';

type ModuleRef = Type<unknown> | DynamicModule;

/** A role's Nest modules, configured from the environment (a ConfigError there stops start-up). */
export type RoleModules = (env: Record<string, string | undefined>) => readonly ModuleRef[];

export interface ProcessSpec {
  /** Name in the start-up line and in errors. */
  readonly label: string;
  /** Prefix of the default instance id (`<name>-<pid>`): letters, digits and dashes. */
  readonly name: string;
  readonly roles: readonly AppRole[];
  /**
   * The role modules to compose (MeshApiModule, CaSignerModule.forRoot(...)); a function receives the
   * environment so a role can parse its own settings (a ConfigError there stops start-up like any other).
   */
  readonly modules: readonly ModuleRef[] | RoleModules;
  readonly defaultMode: RunMode;
  readonly defaultPort: number;
  readonly allowedMethods?: AllowedMethods;
}

/**
 * Entry point of every control-plane process: parse config (a bad value stops here with the variable
 * named, exit code 2), compose CoreModule with the role modules, and serve HTTP.
 */
export async function runProcess(
  spec: ProcessSpec,
  env: Record<string, string | undefined> = process.env,
): Promise<void> {
  try {
    const config = loadCoreConfig(env, { mode: spec.defaultMode, port: spec.defaultPort, role: spec.name });
    await bootstrapHttpApp({
      module: rootModule(
        CoreModule.forRoot({ config, roles: spec.roles }),
        typeof spec.modules === 'function' ? spec.modules(env) : spec.modules,
      ),
      config,
      label: spec.label,
      allowedMethods: spec.allowedMethods,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${spec.label}: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${spec.label}: failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

function rootModule(core: DynamicModule, modules: readonly ModuleRef[]): DynamicModule {
  @Module({})
  class RootModule {}
  return { module: RootModule, imports: [core, ...modules] };
}
