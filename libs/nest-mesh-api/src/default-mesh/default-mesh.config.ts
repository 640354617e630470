import { parseEnvironment } from '@meshtls/nest-core';
import { z } from 'zod';

/** Whether mesh-api makes the `default` mesh on start (Kuma's `KUMA_DEFAULTS_SKIP_MESH_CREATION`). */
export interface DefaultMeshConfig {
  readonly skip: boolean;
}

const envSchema = z.object({
  MESH_SKIP_DEFAULT_MESH: z
    .enum(['true', 'false'], { message: 'must be "true" or "false"' })
    .default('false'),
});

export function loadDefaultMeshConfig(env: Record<string, string | undefined>): DefaultMeshConfig {
  const e = parseEnvironment(envSchema, env);
  return Object.freeze({ skip: e.MESH_SKIP_DEFAULT_MESH === 'true' });
}
