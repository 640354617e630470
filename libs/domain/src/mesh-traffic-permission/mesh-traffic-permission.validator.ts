import { FieldPath } from '../validation/field-path';
import type { SpecSchema } from '../validation/spec-schema';
import { Messages } from '../validation/messages';
import { JsonObject, ValidationContext, definedItems, isAbsent } from '../validation/validation-context';
import {
  MeshTrafficPermissionFrom,
  MeshTrafficPermissionSpec,
  TargetRefKind,
  TrafficAction,
} from './mesh-traffic-permission.types';
import { validateTargetRef } from './target-ref.validator';

export const MeshTrafficPermissionMessages = {
  fromNeedsItem: 'needs at least one item',
} as const;

const TOP_KINDS = [
  TargetRefKind.Mesh,
  TargetRefKind.MeshSubset,
  TargetRefKind.MeshService,
  TargetRefKind.Dataplane,
] as const;
const FROM_KINDS = [TargetRefKind.Mesh, TargetRefKind.MeshSubset, TargetRefKind.MeshService] as const;

/** The nested `spec` of a MeshTrafficPermission document. */
export const MESH_TRAFFIC_PERMISSION_SPEC: SpecSchema<MeshTrafficPermissionSpec> = {
  fields: ['spec'],
  validate: validateSpec,
};

function validateSpec(ctx: ValidationContext, doc: JsonObject): MeshTrafficPermissionSpec | undefined {
  const path = FieldPath.at('spec');
  const obj = ctx.requiredObject(doc.spec, path, ['targetRef', 'from']);
  if (obj === undefined) {
    return undefined;
  }
  // Kuma applies a policy without a top-level targetRef to the whole mesh.
  const targetRef = isAbsent(obj.targetRef)
    ? { kind: TargetRefKind.Mesh }
    : validateTargetRef(ctx, obj.targetRef, path.field('targetRef'), TOP_KINDS);
  const fromPath = path.field('from');
  const list = ctx.array(obj.from, fromPath);
  if (isAbsent(obj.from) || list?.length === 0) {
    ctx.add(fromPath, MeshTrafficPermissionMessages.fromNeedsItem);
  }
  const from = list?.map((item, i) => validateFrom(ctx, item, fromPath.index(i)));
  if (targetRef === undefined || from === undefined) {
    return undefined;
  }
  return { targetRef, from: definedItems(from) };
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
  const targetRef = validateTargetRef(ctx, obj.targetRef, path.field('targetRef'), FROM_KINDS);
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
