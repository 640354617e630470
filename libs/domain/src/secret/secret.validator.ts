import { isBase64 } from '../validation/base64';
import { FieldPath } from '../validation/field-path';
import { Messages } from '../validation/messages';
import { JsonObject, ValidationContext } from '../validation/validation-context';
import type { SecretSpec } from './secret.types';

/** Top-level fields of a Secret or GlobalSecret document besides type, mesh, name and the timestamps. */
export const SECRET_SPEC_FIELDS = ['data'] as const;

/** Parses and checks `data`: required, non-empty, base64. */
export function validateSecretSpec(ctx: ValidationContext, doc: JsonObject): SecretSpec | undefined {
  const path = FieldPath.at('data');
  const data = ctx.check(ctx.requiredString(doc.data, path), path, isBase64, Messages.validBase64);
  return data === undefined ? undefined : { data };
}

/** The bytes a Secret holds. */
export function secretBytes(spec: SecretSpec): Buffer {
  return Buffer.from(spec.data, 'base64');
}
