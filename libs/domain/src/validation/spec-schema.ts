import type { JsonObject, ValidationContext } from './validation-context';

/**
 * What a resource type's document holds besides type, mesh, name and the timestamps: the top-level
 * fields it owns and the validator that parses them. Parsing an applied document and checking a stored
 * spec both read a type's fields through its schema.
 */
export interface SpecSchema<S = unknown> {
  readonly fields: readonly string[];
  /**
   * Unknown top-level fields are left out with a warning instead of refused (Kuma reads a Mesh as protobuf
   * JSON, which skips them).
   */
  readonly lenient?: boolean;
  validate(ctx: ValidationContext, doc: JsonObject): S | undefined;
}
