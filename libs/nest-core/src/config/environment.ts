import { parseDuration } from '@meshtls/domain';
import { ConfigError } from '@meshtls/util';
import { z } from 'zod';

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

/**
 * A duration setting as `30s`, `5m`, `1h` (a positive whole number and a unit: ms, s, m, h, d), parsed to
 * milliseconds; with `off`, also `off` or `0`, parsed to 0.
 */
export function durationSetting(fallback: string, options: { off?: boolean } = {}) {
  return z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      if (options.off && (text === 'off' || text === '0')) return 0;
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        const off = options.off ? ', or off' : '';
        ctx.addIssue({
          code: 'custom',
          message: `must be a duration such as 30s, 5m or 1h${off}, not "${text}"`,
        });
        return z.NEVER;
      }
      return ms;
    });
}
