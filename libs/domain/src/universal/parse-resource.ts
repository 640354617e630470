import { DATAPLANE_SPEC } from '../dataplane/dataplane.validator';
import { MESH_SPEC } from '../mesh/mesh.validator';
import { MESH_TRAFFIC_PERMISSION_SPEC } from '../mesh-traffic-permission/mesh-traffic-permission.validator';
import { ValidationError } from '../errors';
import type { ResourceKey } from '../resource';
import {
  RESOURCE_DESCRIPTORS,
  ResourceType,
  WRITABLE_RESOURCE_TYPES,
  isApiResourceType,
} from '../resource-types';
import { SECRET_SPEC } from '../secret/secret.validator';
import { FieldPath } from '../validation/field-path';
import { Messages } from '../validation/messages';
import { NameLimits, validateResourceName } from '../validation/resource-name.validator';
import type { SpecSchema } from '../validation/spec-schema';
import { JsonObject, ValidationContext, isAbsent } from '../validation/validation-context';
import { LABELS_FIELD, readLabels, type Labels } from './labels';

/** A valid universal document split into where it lives and what it says. */
export interface ParsedResource {
  readonly key: ResourceKey;
  /**
   * As `ResourceRecord.spec` holds it: flat fields for Mesh, Secret, Dataplane; the inner `spec` for
   * policies; in both, the user's `labels` (when given) at `spec.labels`.
   */
  readonly spec: unknown;
  /** `field: what` lines a user is told about an accepted document (fields ignored, stored but not acted on). */
  readonly warnings: readonly string[];
}

const SPEC_SCHEMAS: Readonly<Record<ResourceType, SpecSchema>> = {
  Mesh: MESH_SPEC,
  Secret: SECRET_SPEC,
  GlobalSecret: SECRET_SPEC,
  Dataplane: DATAPLANE_SPEC,
  MeshTrafficPermission: MESH_TRAFFIC_PERMISSION_SPEC,
  DataplaneInsight: readOnly('DataplaneInsight'),
  CaSwitch: readOnly('CaSwitch'),
  ControlPlaneInstance: readOnly('ControlPlaneInstance'),
};

function readOnly(type: ResourceType): SpecSchema {
  return {
    fields: [],
    validate: (ctx) => ctx.add(FieldPath.at('type'), `${type} is read-only: the control plane maintains it`),
  };
}

/**
 * The fields every document may hold besides its type's: where it lives, its labels (read and kept), and
 * what the store and the API set, accepted and ignored because a user applies what `get -o yaml` printed
 * (the times, `kri`).
 */
const META_FIELDS = [
  'type',
  'mesh',
  'name',
  'creationTime',
  'modificationTime',
  'kri',
  LABELS_FIELD,
] as const;

export const ResourceMessages = {
  unknownType: `unknown resource type. Allowed values: ${WRITABLE_RESOURCE_TYPES.join(', ')}`,
} as const;

/** Parses a decoded universal document (object from JSON or YAML); throws ValidationError with every violation. */
export function parseResource(doc: unknown): ParsedResource {
  const ctx = new ValidationContext();
  const parsed = parseDocument(ctx, doc);
  ctx.throwIfInvalid();
  return parsed as ParsedResource;
}

/**
 * Parses a document sent to the URL of `target` (a PUT), reporting as Kuma does: first where the body
 * disagrees with the URL (name, type, mesh), then the labels, then everything else.
 */
export function parseResourceAt(doc: unknown, target: ResourceKey): ParsedResource {
  const first = new ValidationContext();
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) {
    const obj = doc as JsonObject;
    if (obj.name !== target.name) first.add(FieldPath.at('name'), TargetMessages.name);
    if (obj.type !== target.type) first.add(FieldPath.at('type'), TargetMessages.type);
    if (target.mesh !== undefined && obj.mesh !== target.mesh)
      first.add(FieldPath.at('mesh'), TargetMessages.mesh);
  }
  const rest = new ValidationContext();
  const parsed = parseDocument(rest, doc);
  const violations = [...first.violations, ...rest.violations];
  if (violations.length > 0) throw new ValidationError(violations);
  return parsed as ParsedResource;
}

/** Kuma's words when a PUT's body names another resource than its URL. */
export const TargetMessages = {
  name: 'name from the URL has to be the same as in body',
  type: 'type from the URL has to be the same as in body',
  mesh: 'mesh from the URL has to be the same as in body',
} as const;

function parseDocument(ctx: ValidationContext, doc: unknown): ParsedResource | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    ctx.add(FieldPath.root, Messages.mustBeObject);
    return undefined;
  }
  const obj = doc as JsonObject;
  const type = ctx.requiredString(obj.type, FieldPath.at('type'));
  if (type === undefined) {
    return undefined;
  }
  if (!isApiResourceType(type)) {
    ctx.add(FieldPath.at('type'), ResourceMessages.unknownType);
    return undefined;
  }
  const schema = SPEC_SCHEMAS[type];
  const known = [...META_FIELDS, ...schema.fields];
  if (schema.lenient) ctx.lenientObject(obj, FieldPath.root, known);
  else ctx.object(obj, FieldPath.root, known);
  // Kuma checks the labels before the name and mesh.
  const labels = readLabels(ctx, obj.labels, { mesh: typeof obj.mesh === 'string' ? obj.mesh : undefined });
  const key = parseKey(ctx, obj, type);
  ctx.string(obj.creationTime, FieldPath.at('creationTime'));
  ctx.string(obj.modificationTime, FieldPath.at('modificationTime'));
  const spec = schema.validate(ctx, obj);
  const warnings = ctx.notes.map((note) => `${note.field}: ${note.message}`);
  return key && { key, spec: withLabels(spec, labels), warnings };
}

function withLabels(spec: unknown, labels: Labels | undefined): unknown {
  if (labels === undefined || typeof spec !== 'object' || spec === null) return spec;
  return { ...spec, [LABELS_FIELD]: labels };
}

function parseKey(ctx: ValidationContext, obj: JsonObject, type: ResourceType): ResourceKey | undefined {
  const scoped = RESOURCE_DESCRIPTORS[type].scope === 'mesh';
  const meshPath = FieldPath.at('mesh');
  let mesh: string | undefined;
  if (scoped) {
    mesh = validateResourceName(ctx, obj.mesh, meshPath, NameLimits.mesh);
  } else if (!isAbsent(obj.mesh)) {
    ctx.add(meshPath, Messages.mustNotBeSet);
  }
  const maxName = type === ResourceType.Mesh ? NameLimits.mesh : NameLimits.resource;
  const name = validateResourceName(ctx, obj.name, FieldPath.at('name'), maxName);
  if (name === undefined || (scoped && mesh === undefined)) {
    return undefined;
  }
  return scoped ? { type, mesh, name } : { type, name };
}
