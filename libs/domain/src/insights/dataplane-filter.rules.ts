import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { ValidationError } from '../errors';

/**
 * Kuma's filters of a dataplane listing (`dataplanes+insights`, `dataplanes/_overview`): `tag=key:value`
 * (repeated, all must hold) and `gateway=true|false|builtin|delegated`.
 */
export interface DataplaneFilter {
  /** Tag name to a part of its value: an inbound must carry every tag with a value containing it (`*`: any value). */
  readonly tags: Readonly<Record<string, string>>;
  readonly gateway?: 'true' | 'false' | 'builtin' | 'delegated';
}

const GATEWAY_MODES = ['true', 'false', 'builtin', 'delegated'] as const;

/**
 * The filter of a query string as Kuma reads it: a `tag` without `:` is ignored, the value keeps any
 * later `:`; an unknown `gateway` is refused naming the field, in Kuma's words (its spelling kept, so
 * what matched Kuma's message matches this one).
 */
export function parseDataplaneFilter(query: { tag?: unknown; gateway?: unknown }): DataplaneFilter {
  const values = Array.isArray(query.tag) ? query.tag : query.tag === undefined ? [] : [query.tag];
  const tags: Record<string, string> = {};
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const at = value.indexOf(':');
    if (at >= 0) tags[value.slice(0, at)] = value.slice(at + 1);
  }
  const mode = typeof query.gateway === 'string' ? query.gateway.toLowerCase() : '';
  if (mode !== '' && !(GATEWAY_MODES as readonly string[]).includes(mode)) {
    throw new ValidationError([
      {
        field: 'gateway',
        message: `shoud use \`true\`, \`false\`, 'builtin' or 'delegated' instead of ${mode}`,
      },
    ]);
  }
  return { tags, ...(mode !== '' ? { gateway: mode as DataplaneFilter['gateway'] } : {}) };
}

/** Whether a Dataplane passes the filter (this project's dataplanes are never gateways). */
export function matchesDataplaneFilter(spec: DataplaneSpec, filter: DataplaneFilter): boolean {
  if (filter.gateway !== undefined && filter.gateway !== 'false') return false;
  const selector = Object.entries(filter.tags);
  if (selector.length === 0) return true;
  return (spec.networking?.inbound ?? []).some((inbound) =>
    selector.every(([tag, value]) => {
      const actual = inbound.tags?.[tag];
      return actual !== undefined && (value === '*' || actual.includes(value));
    }),
  );
}
