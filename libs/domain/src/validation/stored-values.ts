import { FieldPath } from './field-path';
import { Messages } from './messages';
import type { ValidationContext } from './validation-context';

/** An RFC 3339 time as the control plane writes it; absent is fine (callers say when it is not). */
export function timestamp(ctx: ValidationContext, value: unknown, path: FieldPath): void {
  const text = ctx.string(value, path);
  if (text !== undefined && Number.isNaN(Date.parse(text))) ctx.add(path, Messages.validFormat);
}

/** A list of strings; absent is fine. */
export function stringList(ctx: ValidationContext, value: unknown, path: FieldPath): void {
  ctx.array(value, path)?.forEach((item, i) => {
    if (typeof item !== 'string') ctx.add(path.index(i), Messages.mustBeString);
  });
}
