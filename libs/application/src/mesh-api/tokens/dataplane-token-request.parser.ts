import { FieldPath, ValidationContext, parseDuration } from '@meshtls/domain';
import {
  checkTokenNames,
  checkTokenTags,
  checkValidity,
  throwIfInvalid,
  type IssueDataplaneTokenCommand,
} from './dataplane-token.validation';

/** Fields of Kuma's `POST /tokens/dataplane` body; any other is refused so a typo never widens a token. */
const REQUEST_FIELDS = ['mesh', 'name', 'tags', 'validFor', 'type'] as const;
const DURATION_PART = /(\d+)(ms|y|w|d|h|m|s)/g;
const COMPOSITE_DURATION = /^(?:\d+(?:ms|y|w|d|h|m|s))+$/;

export const TokenRequestParseMessages = {
  tagOneValue: 'only one value per tag is supported',
  tagNoValue: 'must have a value',
  tagValueType: 'must be a string or an array of one string',
  duration: 'must be a valid duration, e.g. 24h, 30d or 1y',
  type: 'only "dataplane" tokens are supported',
} as const;

/**
 * Reads the JSON body of Kuma's `POST /tokens/dataplane`:
 * `{"mesh", "name", "tags": {"k": "v"} or {"k": ["v"]}, "validFor": "24h", "type": "dataplane"}`.
 * Kuma's tags are multi-valued; a token here binds one value per tag, so a list must hold one value.
 * `validFor` takes our durations and Go's composites that kumactl sends (`24h0m0s`); empty means the
 * default. Throws a `ValidationError` naming each field.
 */
export function parseDataplaneTokenRequest(body: unknown): IssueDataplaneTokenCommand {
  const ctx = new ValidationContext();
  const doc: Readonly<Record<string, unknown>> =
    (body === undefined || body === null ? {} : ctx.object(body, FieldPath.root, REQUEST_FIELDS)) ?? {};
  const { mesh, name } = checkTokenNames(ctx, doc.mesh, doc.name);
  const tags = parseTags(ctx, doc.tags, FieldPath.at('tags'));
  const validForMs = parseValidFor(ctx, doc.validFor, FieldPath.at('validFor'));
  if (doc.type !== undefined && doc.type !== '' && doc.type !== 'dataplane') {
    ctx.add(FieldPath.at('type'), TokenRequestParseMessages.type);
  }
  throwIfInvalid(ctx);
  return {
    mesh: mesh as string,
    name: name as string,
    ...(tags ? { tags } : {}),
    ...(validForMs !== undefined ? { validForMs } : {}),
  };
}

function parseTags(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const map = ctx.map(value, path);
  if (map === undefined) return undefined;
  const entries: [string, string][] = [];
  for (const tag of Object.keys(map).sort()) {
    const tagValue = singleValue(ctx, map[tag], path.key(tag));
    if (tagValue !== undefined) entries.push([tag, tagValue]);
  }
  const tags = Object.fromEntries(entries);
  checkTokenTags(ctx, tags, path);
  return tags;
}

function singleValue(ctx: ValidationContext, value: unknown, path: FieldPath): string | undefined {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    ctx.add(path, TokenRequestParseMessages.tagValueType);
    return undefined;
  }
  const distinct = [...new Set(value as string[])];
  if (distinct.length !== 1) {
    ctx.add(
      path,
      distinct.length === 0 ? TokenRequestParseMessages.tagNoValue : TokenRequestParseMessages.tagOneValue,
    );
    return undefined;
  }
  return distinct[0];
}

function parseValidFor(ctx: ValidationContext, value: unknown, path: FieldPath): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = ctx.string(value, path);
  if (text === undefined) return undefined;
  const ms = COMPOSITE_DURATION.test(text)
    ? [...text.matchAll(DURATION_PART)].reduce((sum, [part]) => sum + (parseDuration(part) ?? NaN), 0)
    : NaN;
  if (Number.isNaN(ms)) {
    ctx.add(path, TokenRequestParseMessages.duration);
    return undefined;
  }
  checkValidity(ctx, ms, path);
  return ms;
}
