import { validateDataplaneSpec, DATAPLANE_SPEC_FIELDS } from '../dataplane/dataplane.validator';
import type { Violation } from '../errors';
import {
  DATAPLANE_INSIGHT_SPEC_FIELDS,
  validateDataplaneInsightSpec,
} from '../insights/dataplane-insight.validator';
import { validateMeshTrafficPermissionSpec } from '../mesh-traffic-permission/mesh-traffic-permission.validator';
import { MESH_SPEC_FIELDS, validateMeshSpec } from '../mesh/mesh.validator';
import type { ResourceType } from '../resource-types';
import { SECRET_SPEC_FIELDS } from '../secret/secret.validator';
import { FieldPath } from '../validation/field-path';
import { Messages } from '../validation/messages';
import { JsonObject, ValidationContext } from '../validation/validation-context';

type StoredSpecCheck = (ctx: ValidationContext, spec: unknown) => void;

/** A flat spec (Mesh, Secret, Dataplane): an object of known fields, each checked by `check`. */
const flat =
  (fields: readonly string[], check: (ctx: ValidationContext, doc: JsonObject) => unknown): StoredSpecCheck =>
  (ctx, spec) => {
    const doc = ctx.object(spec, FieldPath.root, fields);
    if (doc !== undefined) check(ctx, doc);
    else if (spec === undefined || spec === null) ctx.add(FieldPath.root, Messages.mustBeObject);
  };

/**
 * At rest a Secret's `data` is ciphertext, which the store's cipher authenticates when it is read; here
 * only its shape is checked.
 */
const secretAtRest = flat(SECRET_SPEC_FIELDS, (ctx, doc) =>
  ctx.requiredString(doc.data, FieldPath.at('data')),
);

const CHECKS: Readonly<Record<ResourceType, StoredSpecCheck>> = {
  Mesh: flat(MESH_SPEC_FIELDS, validateMeshSpec),
  Secret: secretAtRest,
  GlobalSecret: secretAtRest,
  Dataplane: flat(DATAPLANE_SPEC_FIELDS, validateDataplaneSpec),
  // Stored without its document: the record's spec is the document's nested `spec`.
  MeshTrafficPermission: (ctx, spec) => validateMeshTrafficPermissionSpec(ctx, { spec }),
  DataplaneInsight: flat(DATAPLANE_INSIGHT_SPEC_FIELDS, validateDataplaneInsightSpec),
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
