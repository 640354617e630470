import type { JsonObject, ValidationContext } from './validation-context';

/**
 * What a resource type's document holds besides type, mesh, name and the timestamps: the top-level
 * fields it owns and the validator that parses them. Parsing an applied document and checking a stored
 * spec both read a type's fields through its schema.
 */
export interface SpecSchema<S = unknown> {
  readonly fields: readonly string[];
  validate(ctx: ValidationContext, doc: JsonObject): S | undefined;
}
