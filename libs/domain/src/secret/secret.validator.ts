import { isBase64 } from '../validation/base64';
import { FieldPath } from '../validation/field-path';
import type { SpecSchema } from '../validation/spec-schema';
import { Messages } from '../validation/messages';
import type { SecretSpec } from './secret.types';

/** A Secret's or GlobalSecret's `data`: required, non-empty, base64. */
export const SECRET_SPEC: SpecSchema<SecretSpec> = {
  fields: ['data'],
  validate: (ctx, doc) => {
    const path = FieldPath.at('data');
    const data = ctx.check(ctx.requiredString(doc.data, path), path, isBase64, Messages.validBase64);
    return data === undefined ? undefined : { data };
  },
};

/** The bytes a Secret holds. */
export function secretBytes(spec: SecretSpec): Buffer {
  return Buffer.from(spec.data, 'base64');
}
