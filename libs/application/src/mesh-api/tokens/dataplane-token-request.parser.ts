import { FieldPath, ValidationContext } from '@meshtls/domain';
import {
  checkProxyType,
  checkTokenNames,
  checkTokenTags,
  checkValidity,
  checkWorkload,
  throwIfInvalid,
  type IssueDataplaneTokenCommand,
} from './dataplane-token.validation';

/** Fields of Kuma's `POST /tokens/dataplane` body; any other is refused so a typo never widens a token. */
const REQUEST_FIELDS = ['name', 'mesh', 'tags', 'type', 'workload', 'validFor'] as const;

/** Milliseconds per unit: Go's (what kumactl sends, `24h0m0s`, `1.5s`) and our `d`, `w`, `y`. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w|y)/gy;

export const TokenRequestParseMessages = {
  tagValueType: 'must be a list of strings',
  duration: 'must be a valid duration, e.g. 24h, 1h30m, 30d or 1y',
} as const;

/**
 * Reads the JSON body of Kuma's `POST /tokens/dataplane`, as kumactl sends it:
 * `{"name": "", "mesh": "default", "tags": {"kuma.io/service": ["web", "api"]}, "type": "",
 * "workload": "", "validFor": "24h0m0s"}`. A tag may also be a single string. Empty strings mean "not
 * bound" (name, type, workload) and "the default" (validFor). Throws a `ValidationError` naming each field.
 */
export function parseDataplaneTokenRequest(body: unknown): IssueDataplaneTokenCommand {
  const ctx = new ValidationContext();
  const doc: Readonly<Record<string, unknown>> =
    (body === undefined || body === null ? {} : ctx.object(body, FieldPath.root, REQUEST_FIELDS)) ?? {};
  const { mesh, name } = checkTokenNames(ctx, doc.mesh, doc.name);
  const tags = parseTags(ctx, doc.tags, FieldPath.at('tags'));
  const type = checkProxyType(ctx, doc.type, FieldPath.at('type'));
  const workload = checkWorkload(ctx, doc.workload, FieldPath.at('workload'));
  const validForMs = parseValidFor(ctx, doc.validFor, FieldPath.at('validFor'));
  throwIfInvalid(ctx);
  return {
    mesh: mesh as string,
    ...(name ? { name } : {}),
    ...(tags && Object.keys(tags).length > 0 ? { tags } : {}),
    ...(type ? { type } : {}),
    ...(workload ? { workload } : {}),
    ...(validForMs !== undefined ? { validForMs } : {}),
  };
}

function parseTags(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): Record<string, readonly string[]> | undefined {
  if (value === undefined || value === null) return undefined;
  const map = ctx.map(value, path);
  if (map === undefined) return undefined;
  const lists: [string, readonly string[]][] = [];
  for (const [tag, tagValue] of Object.entries(map)) {
    const list = typeof tagValue === 'string' ? [tagValue] : tagValue;
    if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) {
      ctx.add(path.key(tag), TokenRequestParseMessages.tagValueType);
    } else lists.push([tag, list as string[]]);
  }
  return checkTokenTags(ctx, Object.fromEntries(lists), path);
}

function parseValidFor(ctx: ValidationContext, value: unknown, path: FieldPath): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = ctx.string(value, path);
  if (text === undefined) return undefined;
  const ms = parseGoDuration(text);
  if (ms === undefined) {
    ctx.add(path, TokenRequestParseMessages.duration);
    return undefined;
  }
  checkValidity(ctx, ms, path);
  return ms;
}

/**
 * A duration as Go's `time.ParseDuration` reads it (a sign, then decimal numbers each with a unit, or
 * `0`), in milliseconds, plus the `d`, `w` and `y` units of Kuma's Mesh durations. `undefined` if not one.
 */
export function parseGoDuration(text: string): number | undefined {
  const sign = text.startsWith('-') ? -1 : 1;
  const rest = text.replace(/^[-+]/, '');
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let match = DURATION_PART.exec(rest); match; match = DURATION_PART.exec(rest)) {
    total += Number(match[1]) * UNIT_MS[match[2]];
    end = DURATION_PART.lastIndex;
  }
  if (end !== rest.length || !Number.isFinite(total)) return undefined;
  // Decimal fractions (1.1s) are not exact in binary: settle on whole nanoseconds.
  return (sign * Math.round(total * 1e6)) / 1e6;
}
