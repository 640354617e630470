import { FieldPath } from './field-path';
import { JsonObject, ValidationContext, isAbsent } from './validation-context';

/** The tag naming the service a dataplane inbound belongs to; its SPIFFE identity comes from it. */
export const SERVICE_TAG = 'kuma.io/service';
/** The tag naming the protocol of an inbound. */
export const PROTOCOL_TAG = 'kuma.io/protocol';
/** Values Kuma accepts for `kuma.io/protocol`. */
export const SUPPORTED_PROTOCOLS = ['http', 'http2', 'grpc', 'kafka', 'tcp'] as const;

/** Tags of a dataplane or a targetRef: string keys to string values. */
export type Tags = Readonly<Record<string, string>>;

const TAG_NAME_PATTERN = /^[a-zA-Z0-9.\-_:/]*$/;
const TAG_VALUE_PATTERN = /^[a-zA-Z0-9.\-_:]*$/;

export const TagMessages = {
  nameNonEmpty: 'tag name must be non-empty',
  nameCharacters: 'tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores',
  valueCharacters: 'tag value must consist of alphanumeric characters, dots, dashes and underscores',
  /** Dataplane wording. */
  valueCannotBeEmpty: 'tag value cannot be empty',
  /** targetRef wording. */
  valueNonEmpty: 'tag value must be non-empty',
  hasToExist: 'tag has to exist',
} as const;

export interface TagRules {
  /** Message for an empty value: Kuma words it differently for dataplanes and targetRefs. */
  readonly emptyValueMessage: string;
  /** Dataplane inbounds and outbounds must carry `kuma.io/service`. */
  readonly requireService: boolean;
  /** Dataplanes check `kuma.io/protocol` against the protocols Kuma knows; selectors do not. */
  readonly checkProtocol: boolean;
}

/** Checks a tag map; keys are visited in sorted order so violations come out in a stable order. */
export function validateTags(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
  rules: TagRules,
): Tags | undefined {
  const obj = ctx.map(value, path);
  if (obj === undefined) {
    if (rules.requireService && isAbsent(value)) {
      ctx.add(path.key(SERVICE_TAG), TagMessages.hasToExist);
    }
    return undefined;
  }
  const tags: Record<string, string> = {};
  for (const key of Object.keys(obj).sort()) {
    const tagValue = validateTag(ctx, obj, key, path, rules);
    if (tagValue !== undefined) {
      tags[key] = tagValue;
    }
  }
  if (rules.requireService && !(SERVICE_TAG in obj)) {
    ctx.add(path.key(SERVICE_TAG), TagMessages.hasToExist);
  }
  return tags;
}

function validateTag(
  ctx: ValidationContext,
  obj: JsonObject,
  key: string,
  path: FieldPath,
  rules: TagRules,
): string | undefined {
  const keyPath = path.key(key);
  if (key === '') {
    ctx.add(path, TagMessages.nameNonEmpty);
  } else if (!TAG_NAME_PATTERN.test(key)) {
    ctx.add(keyPath, TagMessages.nameCharacters);
  }
  const raw = obj[key];
  const text = ctx.string(raw, keyPath);
  if (raw === null || text === '') {
    ctx.add(keyPath, rules.emptyValueMessage);
    return undefined;
  }
  if (text === undefined) {
    return undefined;
  }
  if (!TAG_VALUE_PATTERN.test(text)) {
    ctx.add(keyPath, TagMessages.valueCharacters);
    return undefined;
  }
  if (
    rules.checkProtocol &&
    key === PROTOCOL_TAG &&
    !(SUPPORTED_PROTOCOLS as readonly string[]).includes(text)
  ) {
    ctx.add(
      keyPath,
      `tag ${JSON.stringify(PROTOCOL_TAG)} has an invalid value ${JSON.stringify(text)}. Allowed values: ${SUPPORTED_PROTOCOLS.join(', ')}`,
    );
    return undefined;
  }
  return text;
}
