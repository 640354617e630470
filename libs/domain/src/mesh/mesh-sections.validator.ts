import { FieldPath } from '../validation/field-path';
import { Messages, mustBeOneOf } from '../validation/messages';
import { JsonObject, ValidationContext, isAbsent } from '../validation/validation-context';

/**
 * The Mesh sections this control plane stores without acting on them, checked with Kuma's rules, paths
 * and messages (Kuma's `mesh_validator.go`). Kuma reports logging and tracing `conf` problems under
 * `config`, metrics ones under `conf`; both are kept.
 */
export const MeshSectionMessages = {
  cannotBeEmpty: Messages.cannotBeEmpty,
  nameAlreadyUsed: (name: string) => `${JSON.stringify(name)} name is already used for another backend`,
  unknownType: (...types: string[]) =>
    `unknown backend type. Available backends: ${types.map((t) => JSON.stringify(t)).join(', ')}`,
  loggingDefault: 'has to be set to one of the logging backend in mesh',
  tracingDefault: 'has to be set to one of the tracing backend in mesh',
  metricsEnabled: 'has to be set to one of the backends in the mesh',
  hostPort: 'has to be in format of HOST:PORT',
  sampling: 'has to be in [0.0 - 100.0] range',
  apiVersion: 'has invalid value. Allowed values: httpJsonV1, httpJson, httpProto',
  invalidUrl: 'invalid URL',
  urlPort: 'port has to be explicitly specified',
  port: 'port must be in the range [1, 65535]',
  skipMtlsAndTls: 'skipMTLS and tls configuration cannot be defined together',
  badRegex: (reason: string) => `provided regexp isn't correct: ${reason}`,
  duplicateAggregate: (name: string) => `duplicate entry: ${name}, values have to be unique`,
  atLeastOneTag: 'must have at least one tag',
  tagNameNonEmpty: 'tag name must be non-empty',
  tagNameCharacters:
    'tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores',
  tagValueNonEmpty: 'tag value must be non-empty',
  tagValueCharacters:
    'tag value must consist of alphanumeric characters, dots, dashes, slashes and underscores or be "*"',
  zoneEgressNeedsMtls: 'has to be set when zoneEgress enabled',
} as const;

const M = MeshSectionMessages;
export const MESH_SERVICES_MODES = ['Disabled', 'Everywhere', 'ReachableBackends', 'Exclusive'] as const;
const TAG_NAME = /^[a-zA-Z0-9.\-_:/]*$/;
const SELECTOR_VALUE = /^([a-zA-Z0-9.\-_:/]*|\*)$/;

type Section = JsonObject | undefined;

export function validateConstraints(ctx: ValidationContext, value: unknown, path: FieldPath): Section {
  const section = ctx.map(value, path);
  if (section === undefined) return undefined;
  const proxyPath = path.field('dataplaneProxy');
  const proxy = ctx.map(section.dataplaneProxy, proxyPath);
  if (proxy === undefined) return section;
  for (const list of ['requirements', 'restrictions'] as const) {
    const listPath = proxyPath.field(list);
    (ctx.array(proxy[list], listPath) ?? []).forEach((item, i) => {
      const rule = ctx.map(item, listPath.index(i));
      if (rule !== undefined) validateSelectorTags(ctx, rule.tags, listPath.index(i).field('tags'));
    });
  }
  return section;
}

/** Kuma's selector tags with at least one tag required; keys in sorted order, as Kuma visits them. */
function validateSelectorTags(ctx: ValidationContext, value: unknown, path: FieldPath): void {
  const tags = isAbsent(value) ? {} : ctx.map(value, path);
  if (tags === undefined) return;
  const keys = Object.keys(tags).sort();
  if (keys.length === 0) ctx.add(path, M.atLeastOneTag);
  for (const key of keys) {
    if (key === '') ctx.add(path, M.tagNameNonEmpty);
    if (!TAG_NAME.test(key)) ctx.add(path.key(key), M.tagNameCharacters);
    const tagValue = isAbsent(tags[key]) ? '' : ctx.string(tags[key], path.key(key));
    if (tagValue === undefined) continue;
    if (tagValue === '') ctx.add(path.key(key), M.tagValueNonEmpty);
    if (!SELECTOR_VALUE.test(tagValue)) ctx.add(path.key(key), M.tagValueCharacters);
  }
}

export function validateRouting(ctx: ValidationContext, value: unknown, path: FieldPath): Section {
  const section = ctx.map(value, path);
  if (section === undefined) return undefined;
  for (const flag of ['localityAwareLoadBalancing', 'zoneEgress', 'defaultForbidMeshExternalServiceAccess']) {
    ctx.boolean(section[flag], path.field(flag));
  }
  return section;
}

export function validateNetworking(ctx: ValidationContext, value: unknown, path: FieldPath): Section {
  const section = ctx.map(value, path);
  if (section === undefined) return undefined;
  const outbound = ctx.map(section.outbound, path.field('outbound'));
  if (outbound !== undefined) ctx.boolean(outbound.passthrough, path.field('outbound').field('passthrough'));
  return section;
}

export function validateMeshServices(ctx: ValidationContext, value: unknown, path: FieldPath): Section {
  const section = ctx.map(value, path);
  if (section === undefined) return undefined;
  const modePath = path.field('mode');
  const mode = ctx.string(section.mode, modePath);
  if (mode !== undefined && !(MESH_SERVICES_MODES as readonly string[]).includes(mode)) {
    ctx.add(modePath, mustBeOneOf('mode', MESH_SERVICES_MODES));
  }
  return section;
}

export function validateInitialPolicies(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): readonly string[] | undefined {
  const list = ctx.array(value, path);
  list?.forEach((item, i) => ctx.string(item, path.index(i)));
  return list as readonly string[] | undefined;
}

/** Kuma's zone egress rule: routing through a zone egress needs mTLS enabled. */
export function validateZoneEgress(ctx: ValidationContext, routing: Section, enabledBackend: unknown): void {
  if (routing?.zoneEgress === true && (typeof enabledBackend !== 'string' || enabledBackend === '')) {
    ctx.add(FieldPath.at('mtls'), M.zoneEgressNeedsMtls);
  }
}
