import type { z } from 'zod';

/**
 * Zod's issues as text: each path (`(root)` for the value itself) and zod's message, at most `limit` of
 * them; never a value, since a payload may hold secret material.
 */
export function schemaIssues(error: z.ZodError, limit = Infinity): string {
  const issues = error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  return `${issues.slice(0, limit).join('; ')}${issues.length > limit ? '; …' : ''}`;
}
