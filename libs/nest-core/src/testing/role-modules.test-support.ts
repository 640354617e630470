import type { DynamicModule, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { AppRole } from '@meshtls/contracts';
import type { MessageBus } from '@meshtls/bus';
import type { ResourceStore } from '@meshtls/store';
import type { Registry } from 'prom-client';
import { tempDir } from '@meshtls/testing';
import { loadCoreConfig, type CoreConfig } from '../config/core-config';
import { CoreModule } from '../core.module';
import { MESSAGE_BUS, METRICS, RESOURCE_STORE } from '../tokens';

/** A role's modules started on CoreModule, and what a role's spec reads from it. */
export interface StartedRole {
  readonly app: TestingModule;
  readonly bus: MessageBus;
  readonly store: ResourceStore;
  readonly metrics: Registry;
}

/**
 * `modules` (a role's Nest modules) on CoreModule's real adapters for `config` (standalone: the embedded
 * store and the in-process bus; distributed: NATS and Redis), started without logging.
 */
export async function startRoleModules(
  config: CoreConfig,
  role: AppRole,
  modules: readonly (Type | DynamicModule)[],
): Promise<StartedRole> {
  const app = await Test.createTestingModule({
    imports: [CoreModule.forRoot({ config, roles: [role] }), ...modules],
  }).compile();
  app.useLogger(false);
  await app.init();
  return {
    app,
    bus: app.get<MessageBus>(MESSAGE_BUS),
    store: app.get<ResourceStore>(RESOURCE_STORE),
    metrics: app.get<Registry>(METRICS),
  };
}

/** A role started standalone by `startStandaloneRole`; `close()` stops it and removes its data directory. */
export interface StandaloneRole extends StartedRole {
  close(): Promise<void>;
}

/**
 * `modules` of `role` in standalone mode (embedded SQLite store in a new temporary data directory,
 * in-process bus), started without logging.
 */
export async function startStandaloneRole(
  role: AppRole,
  modules: readonly (Type | DynamicModule)[],
): Promise<StandaloneRole> {
  const dir = await tempDir(`meshtls-${role}-`);
  try {
    const config = loadCoreConfig(
      { MESH_DATA_DIR: dir.path, MESH_LOG_LEVEL: 'silent' },
      { mode: 'standalone', port: 0, role },
    );
    const started = await startRoleModules(config, role, modules);
    return {
      ...started,
      close: async () => {
        await started.app.close();
        await dir.remove();
      },
    };
  } catch (error) {
    await dir.remove();
    throw error;
  }
}
