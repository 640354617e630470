import { CA_SWITCH_SPEC, CONTROL_PLANE_INSTANCE_SPEC } from '../ca-switch/ca-switch.validator';
import { DATAPLANE_SPEC } from '../dataplane/dataplane.validator';
import type { Violation } from '../errors';
import { DATAPLANE_INSIGHT_SPEC } from '../insights/dataplane-insight.validator';
import { MESH_TRAFFIC_PERMISSION_SPEC } from '../mesh-traffic-permission/mesh-traffic-permission.validator';
import { MESH_SPEC } from '../mesh/mesh.validator';
import type { ResourceType } from '../resource-types';
import { SECRET_SPEC } from '../secret/secret.validator';
import { FieldPath } from '../validation/field-path';
import { Messages } from '../validation/messages';
import type { SpecSchema } from '../validation/spec-schema';
import { ValidationContext } from '../validation/validation-context';
import { LABELS_FIELD, readLabels } from './labels';

type StoredSpecCheck = (ctx: ValidationContext, spec: unknown, mesh: string | undefined) => void;

/**
 * A flat spec (Mesh, Secret, Dataplane): an object of the schema's fields and the user's `labels`,
 * checked by its validator and the label rules.
 */
const flat =
  ({ fields, validate }: SpecSchema, labeled = true): StoredSpecCheck =>
  (ctx, spec, mesh) => {
    const doc = ctx.object(spec, FieldPath.root, labeled ? [...fields, LABELS_FIELD] : fields);
    if (doc !== undefined) {
      validate(ctx, doc);
      if (labeled) readLabels(ctx, doc[LABELS_FIELD], ownerOf(mesh));
    } else if (spec === undefined || spec === null) ctx.add(FieldPath.root, Messages.mustBeObject);
  };

/** The mesh label is checked against the record's mesh only when the caller says which it is. */
const ownerOf = (mesh: string | undefined) => (mesh === undefined ? undefined : { mesh });

/** A policy's spec: the document's nested `spec`, with the user's `labels` kept beside its fields. */
const policy =
  (schema: SpecSchema): StoredSpecCheck =>
  (ctx, spec, mesh) => {
    if (typeof spec === 'object' && spec !== null && !Array.isArray(spec) && LABELS_FIELD in spec) {
      const { [LABELS_FIELD]: labels, ...rest } = spec as Record<string, unknown>;
      readLabels(ctx, labels, ownerOf(mesh));
      schema.validate(ctx, { spec: rest });
      return;
    }
    schema.validate(ctx, { spec });
  };

/**
 * At rest a Secret's `data` is ciphertext, which the store's cipher authenticates when it is read; here
 * only its shape is checked.
 */
const secretAtRest = flat({
  fields: SECRET_SPEC.fields,
  validate: (ctx, doc) => ctx.requiredString(doc.data, FieldPath.at('data')),
});

const CHECKS: Readonly<Record<ResourceType, StoredSpecCheck>> = {
  Mesh: flat(MESH_SPEC),
  Secret: secretAtRest,
  GlobalSecret: secretAtRest,
  Dataplane: flat(DATAPLANE_SPEC),
  // Stored without its document: the record's spec is the document's nested `spec`.
  MeshTrafficPermission: policy(MESH_TRAFFIC_PERMISSION_SPEC),
  DataplaneInsight: flat(DATAPLANE_INSIGHT_SPEC, false),
  CaSwitch: flat(CA_SWITCH_SPEC, false),
  ControlPlaneInstance: flat(CONTROL_PLANE_INSTANCE_SPEC, false),
};

/**
 * What is wrong with a spec read back from a store, by the rules its type was written under (the API's
 * for user resources, the insight rules for DataplaneInsights); empty when it is valid. Anything can be
 * written around the API (straight into the NATS KV bucket, say), so readers check before they trust.
 * Violations name fields, never values.
 */
export function storedSpecViolations(type: ResourceType, spec: unknown, mesh?: string): readonly Violation[] {
  const ctx = new ValidationContext();
  CHECKS[type](ctx, spec, mesh);
  return ctx.violations;
}
