import { FieldPath } from '../validation/field-path';
import { Messages } from '../validation/messages';
import { TagMessages, TagRules, validateTags } from '../validation/tags.validator';
import { JsonObject, ValidationContext, compact, isAbsent } from '../validation/validation-context';
import { TargetRef, TargetRefKind } from './mesh-traffic-permission.types';

export const TargetRefMessages = {
  kindNotSupported: 'value is not supported',
  serviceName: "invalid characters: must consist of lower case alphanumeric characters, '-', '.' and '_'.",
  nameNotYetSupported: (kind: string) => `using name with kind ${kind} is not yet supported`,
  mustBeSetWith: (kind: string) => `must be set with kind ${kind}`,
  mustNotBeSetWith: (kind: string) => `${Messages.mustNotBeSet} with kind ${kind}`,
} as const;

const SELECTOR_TAG_RULES: TagRules = {
  emptyValueMessage: TagMessages.valueNonEmpty,
  requireService: false,
  checkProtocol: false,
};

const SERVICE_NAME_PATTERN = /^[0-9a-z.\-_]*$/;

/** Parses and checks a targetRef; `supported` lists the kinds allowed at this place of the policy. */
export function validateTargetRef(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
  supported: readonly TargetRefKind[],
): TargetRef | undefined {
  const obj = isAbsent(value) ? {} : ctx.object(value, path, ['kind', 'name', 'tags']);
  if (obj === undefined) {
    return undefined;
  }
  const kind = ctx.requiredString(obj.kind, path.field('kind'), Messages.mustBeDefined);
  if (kind === undefined) {
    return undefined;
  }
  if (!(supported as readonly string[]).includes(kind)) {
    ctx.add(path.field('kind'), TargetRefMessages.kindNotSupported);
    return undefined;
  }
  return validateByKind(ctx, obj, path, kind as TargetRefKind);
}

function validateByKind(
  ctx: ValidationContext,
  obj: JsonObject,
  path: FieldPath,
  kind: TargetRefKind,
): TargetRef | undefined {
  const before = ctx.violations.length;
  const namePath = path.field('name');
  const name = ctx.string(obj.name, namePath);
  const hasName = name !== undefined && name !== '';
  const hasTags = !isAbsent(obj.tags);
  if (kind === TargetRefKind.Mesh && hasName) {
    ctx.add(namePath, TargetRefMessages.nameNotYetSupported(kind));
  }
  if (kind === TargetRefKind.MeshSubset && hasName) {
    ctx.add(namePath, TargetRefMessages.mustNotBeSetWith(kind));
  }
  if ((kind === TargetRefKind.MeshService || kind === TargetRefKind.Dataplane) && !hasName) {
    ctx.add(namePath, TargetRefMessages.mustBeSetWith(kind));
  }
  if (kind === TargetRefKind.MeshService && hasName && !SERVICE_NAME_PATTERN.test(name)) {
    ctx.add(namePath, TargetRefMessages.serviceName);
  }
  let tags;
  if (kind === TargetRefKind.MeshSubset) {
    tags = validateTags(ctx, obj.tags, path.field('tags'), SELECTOR_TAG_RULES);
  } else if (hasTags) {
    ctx.add(path.field('tags'), TargetRefMessages.mustNotBeSetWith(kind));
  }
  if (ctx.violations.length > before) {
    return undefined;
  }
  return compact({ kind, name: hasName ? name : undefined, tags });
}
