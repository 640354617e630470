import { FieldPath } from '../validation/field-path';
import type { SpecSchema } from '../validation/spec-schema';
import { Messages } from '../validation/messages';
import {
  JsonObject,
  ValidationContext,
  compact,
  definedItems,
  isAbsent,
} from '../validation/validation-context';
import {
  MeshTrafficPermissionFrom,
  MeshTrafficPermissionRule,
  MeshTrafficPermissionSpec,
  SpiffeIdMatchType,
  TargetRefKind,
  TrafficAction,
  TrafficMatch,
} from './mesh-traffic-permission.types';
import { spiffeIdProblem } from './spiffe-id';
import { validateTargetRef } from './target-ref.validator';

export const MeshTrafficPermissionMessages = {
  fromOrRules: "at least one of 'from' or 'rules' has to be defined",
  fromWithRules: "field 'from' must be empty when 'rules' is defined",
  ruleNeedsMatches: "at least one of 'allow', 'allowWithShadowDeny', 'deny' has to be defined",
  spiffeId: (problem: string) => `must be a valid Spiffe ID: ${problem}`,
  mustBeSet: 'must be set',
  sniType: (type: string) => `unrecognized type ${JSON.stringify(type)}, supported values are: Exact`,
  sniTooLong: 'must be no more than 253 characters',
  sniSubdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
} as const;

const TOP_KINDS = [
  TargetRefKind.Mesh,
  TargetRefKind.MeshSubset,
  TargetRefKind.MeshService,
  TargetRefKind.MeshServiceSubset,
  TargetRefKind.Dataplane,
] as const;
const FROM_KINDS = [
  TargetRefKind.Mesh,
  TargetRefKind.MeshSubset,
  TargetRefKind.MeshService,
  TargetRefKind.MeshServiceSubset,
] as const;
/** The match lists of a rule, in the order Kuma reports their violations. */
const MATCH_LISTS = ['allow', 'allowWithShadowDeny', 'deny'] as const;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The nested `spec` of a MeshTrafficPermission document. */
export const MESH_TRAFFIC_PERMISSION_SPEC: SpecSchema<MeshTrafficPermissionSpec> = {
  fields: ['spec'],
  validate: validateSpec,
};

function validateSpec(ctx: ValidationContext, doc: JsonObject): MeshTrafficPermissionSpec | undefined {
  const path = FieldPath.at('spec');
  const obj = ctx.requiredObject(doc.spec, path, ['targetRef', 'from', 'rules']);
  if (obj === undefined) {
    return undefined;
  }
  const fromList = ctx.array(obj.from, path.field('from'));
  const ruleList = ctx.array(obj.rules, path.field('rules'));
  const hasFrom = (fromList?.length ?? 0) > 0;
  const hasRules = (ruleList?.length ?? 0) > 0;
  // Kuma applies a policy without a top-level targetRef to the whole mesh.
  const targetRef = isAbsent(obj.targetRef)
    ? { kind: TargetRefKind.Mesh }
    : validateTargetRef(ctx, obj.targetRef, path.field('targetRef'), {
        supported: TOP_KINDS,
        inboundPolicy: hasFrom || hasRules,
      });
  if (hasFrom && hasRules) {
    ctx.add(path, MeshTrafficPermissionMessages.fromWithRules);
  }
  const wrongType = (value: unknown, list: unknown) => !isAbsent(value) && list === undefined;
  if (!hasFrom && !hasRules && !wrongType(obj.from, fromList) && !wrongType(obj.rules, ruleList)) {
    ctx.add(path, MeshTrafficPermissionMessages.fromOrRules);
  }
  const rules = ruleList?.map((item, i) => validateRule(ctx, item, path.field('rules').index(i)));
  const from = fromList?.map((item, i) => validateFrom(ctx, item, path.field('from').index(i)));
  if (targetRef === undefined || ctx.hasViolations) {
    return undefined;
  }
  return compact({
    targetRef,
    from: hasFrom && from ? definedItems(from) : undefined,
    rules: hasRules && rules ? definedItems(rules) : undefined,
  });
}

function validateRule(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): MeshTrafficPermissionRule | undefined {
  const obj = isAbsent(value) ? {} : ctx.object(value, path, ['default']);
  if (obj === undefined) return undefined;
  const defaultPath = path.field('default');
  const conf = isAbsent(obj.default) ? {} : ctx.object(obj.default, defaultPath, MATCH_LISTS);
  if (conf === undefined) return undefined;
  const lists = MATCH_LISTS.map((field) => ({
    field,
    list: ctx.array(conf[field], defaultPath.field(field)),
  }));
  if (lists.every(({ list }) => (list?.length ?? 0) === 0)) {
    ctx.add(path, MeshTrafficPermissionMessages.ruleNeedsMatches);
  }
  const parsed: Record<string, TrafficMatch[]> = {};
  for (const { field, list } of lists) {
    // Kuma reports match violations at `rules[i].{list}[j]`, without `default`.
    const matches = list?.map((item, j) => validateMatch(ctx, item, path.field(field).index(j)));
    if (matches && matches.length > 0) parsed[field] = definedItems(matches);
  }
  return { default: parsed };
}

function validateMatch(ctx: ValidationContext, value: unknown, path: FieldPath): TrafficMatch | undefined {
  const obj = ctx.requiredObject(value, path, ['spiffeID', 'sni']);
  if (obj === undefined) return undefined;
  let spiffeID: TrafficMatch['spiffeID'];
  if (!isAbsent(obj.spiffeID)) {
    const idPath = path.field('spiffeID');
    const id = ctx.object(obj.spiffeID, idPath, ['type', 'value']);
    if (id !== undefined) {
      const type = ctx.oneOf(id.type, idPath.field('type'), Object.values(SpiffeIdMatchType));
      const idValue = isAbsent(id.value) ? '' : ctx.string(id.value, idPath.field('value'));
      const problem = idValue === undefined ? undefined : spiffeIdProblem(idValue);
      if (problem !== undefined) ctx.add(idPath, MeshTrafficPermissionMessages.spiffeId(problem));
      if (type !== undefined && idValue !== undefined && problem === undefined) {
        spiffeID = { type, value: idValue };
      }
    }
  }
  let sni: TrafficMatch['sni'];
  if (!isAbsent(obj.sni)) {
    const sniPath = path.field('sni');
    const conf = ctx.object(obj.sni, sniPath, ['type', 'value']);
    if (conf !== undefined) {
      const type = isAbsent(conf.type) ? '' : ctx.string(conf.type, sniPath.field('type'));
      if (type === '') ctx.add(sniPath.field('type'), MeshTrafficPermissionMessages.mustBeSet);
      else if (type !== undefined && type !== 'Exact') {
        ctx.add(sniPath.field('type'), MeshTrafficPermissionMessages.sniType(type));
      }
      const sniValue = isAbsent(conf.value) ? '' : ctx.string(conf.value, sniPath.field('value'));
      if (sniValue === '') ctx.add(sniPath.field('value'), MeshTrafficPermissionMessages.mustBeSet);
      else if (sniValue !== undefined) {
        if (sniValue.length > 253) ctx.add(sniPath.field('value'), MeshTrafficPermissionMessages.sniTooLong);
        if (!DNS1123_SUBDOMAIN.test(sniValue)) {
          ctx.add(sniPath.field('value'), MeshTrafficPermissionMessages.sniSubdomain);
        }
      }
      if (type === 'Exact' && sniValue) sni = { type, value: sniValue };
    }
  }
  return compact({ spiffeID, sni });
}

function validateFrom(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): MeshTrafficPermissionFrom | undefined {
  const obj = isAbsent(value) ? {} : ctx.object(value, path, ['targetRef', 'default']);
  if (obj === undefined) {
    return undefined;
  }
  const targetRef = validateTargetRef(ctx, obj.targetRef, path.field('targetRef'), {
    supported: FROM_KINDS,
  });
  const defaultPath = path.field('default');
  const conf = isAbsent(obj.default) ? {} : ctx.object(obj.default, defaultPath, ['action']);
  const actionPath = defaultPath.field('action');
  let action: TrafficAction | undefined;
  if (conf !== undefined) {
    if (isAbsent(conf.action) || conf.action === '') {
      ctx.add(actionPath, Messages.mustBeDefined);
    } else {
      action = ctx.oneOf(conf.action, actionPath, Object.values(TrafficAction));
    }
  }
  if (targetRef === undefined || action === undefined) {
    return undefined;
  }
  return { targetRef, default: { action } };
}
