import { FieldPath } from '../validation/field-path';
import { Messages } from '../validation/messages';
import { TagMessages, TagRules, validateTags } from '../validation/tags.validator';
import {
  JsonObject,
  ValidationContext,
  compact,
  definedItems,
  isAbsent,
} from '../validation/validation-context';
import { TargetRef, TargetRefKind } from './mesh-traffic-permission.types';

export const TargetRefMessages = {
  kindNotSupported: (kind: string) => `value '${kind}' is not supported`,
  serviceName: "invalid characters: must consist of lower case alphanumeric characters, '-', '.' and '_'.",
  nameNotYetSupported: (kind: string) => `using name with kind ${kind} is not yet supported`,
  mustBeSetWhen: (kind: string) => `must be set when kind is ${kind}`,
  nameOrLabels: (kind: string) => `name or labels must be set when kind is ${kind}`,
  labelsOrName: 'either labels or name and namespace must be specified',
  mustNotBeSetWith: (kind: string) => `${Messages.mustNotBeSet} with kind ${kind}`,
  sectionNameInboundOnly: 'can only be used with inbound policies',
  labelValue: 'label value must be a string',
  proxyTypesEmpty: 'must be undefined or have at least one element',
} as const;

/** The proxies a Mesh or MeshSubset targetRef may be narrowed to. */
const PROXY_TYPES = ['Sidecar', 'Gateway'] as const;

const SELECTOR_TAG_RULES: TagRules = {
  emptyValueMessage: TagMessages.valueNonEmpty,
  requireService: false,
  checkProtocol: false,
};

const SERVICE_NAME_PATTERN = /^[0-9a-z.\-_]*$/;
const FIELDS = ['kind', 'name', 'tags', 'labels', 'sectionName', 'mesh', 'namespace', 'proxyTypes'] as const;

export interface TargetRefOptions {
  /** The kinds allowed at this place of the policy. */
  readonly supported: readonly TargetRefKind[];
  /** The policy configures inbounds (it has `from` or `rules`): only then may a Dataplane name a section. */
  readonly inboundPolicy?: boolean;
}

/** Parses and checks a targetRef as Kuma does, each violation at the field it is about. */
export function validateTargetRef(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
  options: TargetRefOptions,
): TargetRef | undefined {
  const obj = isAbsent(value) ? {} : ctx.object(value, path, FIELDS);
  if (obj === undefined) {
    return undefined;
  }
  const kind = ctx.requiredString(obj.kind, path.field('kind'), Messages.mustBeDefined);
  if (kind === undefined) {
    return undefined;
  }
  if (!(options.supported as readonly string[]).includes(kind)) {
    ctx.add(path.field('kind'), TargetRefMessages.kindNotSupported(kind));
    return undefined;
  }
  return validateByKind(ctx, obj, path, kind as TargetRefKind, options.inboundPolicy ?? false);
}

function validateByKind(
  ctx: ValidationContext,
  obj: JsonObject,
  path: FieldPath,
  kind: TargetRefKind,
  inboundPolicy: boolean,
): TargetRef | undefined {
  const before = ctx.violations.length;
  const name = nonEmpty(ctx.string(obj.name, path.field('name')));
  const sectionName = nonEmpty(ctx.string(obj.sectionName, path.field('sectionName')));
  const labels = validateLabels(ctx, obj.labels, path.field('labels'));
  const hasLabels = labels !== undefined && Object.keys(labels).length > 0;
  const hasTags = !isAbsent(obj.tags);
  const hasMesh = nonEmpty(ctx.string(obj.mesh, path.field('mesh'))) !== undefined;
  // Kubernetes namespaces do not exist here: a namespace is refused with every kind.
  const hasNamespace = nonEmpty(ctx.string(obj.namespace, path.field('namespace'))) !== undefined;
  const proxyTypesList = ctx.array(obj.proxyTypes, path.field('proxyTypes'));
  const disallow = (field: string, set: boolean) => {
    if (set) ctx.add(path.field(field), TargetRefMessages.mustNotBeSetWith(kind));
  };
  let tags;
  let proxyTypes;
  switch (kind) {
    case TargetRefKind.Mesh:
      if (name !== undefined) ctx.add(path.field('name'), TargetRefMessages.nameNotYetSupported(kind));
      disallow('mesh', hasMesh);
      disallow('tags', hasTags);
      disallow('labels', hasLabels);
      disallow('namespace', hasNamespace);
      disallow('sectionName', sectionName !== undefined);
      proxyTypes = validateProxyTypes(ctx, obj.proxyTypes, proxyTypesList, path.field('proxyTypes'));
      break;
    case TargetRefKind.Dataplane:
      disallow('tags', hasTags);
      disallow('mesh', hasMesh);
      disallow('proxyTypes', (proxyTypesList?.length ?? 0) > 0);
      if (hasLabels && name !== undefined) ctx.add(path.field('labels'), TargetRefMessages.labelsOrName);
      disallow('namespace', hasNamespace);
      if (!inboundPolicy && sectionName !== undefined) {
        ctx.add(path.field('sectionName'), TargetRefMessages.sectionNameInboundOnly);
      }
      break;
    case TargetRefKind.MeshSubset:
      disallow('name', name !== undefined);
      disallow('mesh', hasMesh);
      tags = validateTags(ctx, obj.tags, path.field('tags'), SELECTOR_TAG_RULES);
      disallow('labels', hasLabels);
      disallow('namespace', hasNamespace);
      disallow('sectionName', sectionName !== undefined);
      proxyTypes = validateProxyTypes(ctx, obj.proxyTypes, proxyTypesList, path.field('proxyTypes'));
      break;
    case TargetRefKind.MeshService:
      checkServiceName(ctx, name, path);
      disallow('mesh', hasMesh);
      disallow('tags', hasTags);
      disallow('proxyTypes', (proxyTypesList?.length ?? 0) > 0);
      if (!hasLabels && name === undefined) ctx.add(path, TargetRefMessages.nameOrLabels(kind));
      // MeshService resources (what labels select in Kuma) do not exist here: the name is the service.
      disallow('labels', hasLabels);
      disallow('namespace', hasNamespace);
      disallow('sectionName', sectionName !== undefined);
      break;
    case TargetRefKind.MeshServiceSubset:
      if (name === undefined) ctx.add(path.field('name'), TargetRefMessages.mustBeSetWhen(kind));
      checkServiceName(ctx, name, path);
      disallow('mesh', hasMesh);
      disallow('proxyTypes', (proxyTypesList?.length ?? 0) > 0);
      tags = hasTags ? validateTags(ctx, obj.tags, path.field('tags'), SELECTOR_TAG_RULES) : undefined;
      disallow('labels', hasLabels);
      disallow('namespace', hasNamespace);
      disallow('sectionName', sectionName !== undefined);
      break;
  }
  if (ctx.violations.length > before) {
    return undefined;
  }
  return compact({
    kind,
    name,
    tags,
    labels: kind === TargetRefKind.Dataplane ? labels : undefined,
    sectionName,
    proxyTypes,
  });
}

/** Kuma: undefined, or a non-empty list of `Sidecar` and `Gateway`. */
function validateProxyTypes(
  ctx: ValidationContext,
  value: unknown,
  list: readonly unknown[] | undefined,
  path: FieldPath,
): ('Sidecar' | 'Gateway')[] | undefined {
  if (isAbsent(value) || list === undefined) return undefined;
  if (list.length === 0) {
    ctx.add(path, TargetRefMessages.proxyTypesEmpty);
    return undefined;
  }
  return definedItems(list.map((item, i) => ctx.oneOf(item, path.index(i), PROXY_TYPES)));
}

function checkServiceName(ctx: ValidationContext, name: string | undefined, path: FieldPath): void {
  if (name !== undefined && !SERVICE_NAME_PATTERN.test(name)) {
    ctx.add(path.field('name'), TargetRefMessages.serviceName);
  }
}

function validateLabels(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): Record<string, string> | undefined {
  const obj = ctx.map(value, path);
  if (obj === undefined) return undefined;
  const labels: Record<string, string> = {};
  for (const key of Object.keys(obj).sort()) {
    const text = obj[key];
    if (typeof text === 'string') labels[key] = text;
    else ctx.add(path.key(key), TargetRefMessages.labelValue);
  }
  return labels;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
