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

type StoredSpecCheck = (ctx: ValidationContext, spec: unknown) => void;

/** A flat spec (Mesh, Secret, Dataplane): an object of the schema's fields, checked by its validator. */
const flat =
  ({ fields, validate }: SpecSchema): StoredSpecCheck =>
  (ctx, spec) => {
    const doc = ctx.object(spec, FieldPath.root, fields);
    if (doc !== undefined) validate(ctx, doc);
    else if (spec === undefined || spec === null) ctx.add(FieldPath.root, Messages.mustBeObject);
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
  MeshTrafficPermission: (ctx, spec) => MESH_TRAFFIC_PERMISSION_SPEC.validate(ctx, { spec }),
  DataplaneInsight: flat(DATAPLANE_INSIGHT_SPEC),
};

/**
 * What is wrong with a spec read back from a store, by the rules its type was written under (the API's
 * for user resources, the insight rules for DataplaneInsights); empty when it is valid. Anything can be
 * written around the API (straight into the NATS KV bucket, say), so readers check before they trust.
 * Violations name fields, never values.
 */
export function storedSpecViolations(type: ResourceType, spec: unknown): readonly Violation[] {
  const ctx = new ValidationContext();
  CHECKS[type](ctx, spec);
  return ctx.violations;
}
