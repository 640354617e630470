import { ConfigError } from '@meshtls/util';
import type { z } from 'zod';

/**
 * Parses a process's environment with its schema. Every bad variable is named in one ConfigError
 * (`invalid configuration:\n  MESH_X: reason`), which stops start-up with exit code 2.
 */
export function parseEnvironment<T>(schema: z.ZodType<T>, env: Record<string, string | undefined>): T {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
