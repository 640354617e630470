import { FieldPath } from '../validation/field-path';
import { Messages } from '../validation/messages';
import { ValidationContext, isAbsent } from '../validation/validation-context';
import { isBase64 } from '../validation/base64';
import type { DataSource } from './mesh.types';
import { REDACTED_VALUE } from './mesh-private-keys.rules';

const SOURCES = ['secret', 'file', 'inline', 'inlineString'] as const;

export const DataSourceMessages = {
  /** Kuma's wording, word for word (it leaves out inlineString, which it accepts too). */
  choose: 'data source has to be chosen. Available sources: secret, file, inline',
  onlyOne: `data source must have only one type defined: ${SOURCES.join(', ')}`,
  redacted: `is "${REDACTED_VALUE}", what is shown instead of a private key to readers without the admin token: give the key itself`,
} as const;

/** A provided CA's `cert` or `key`: exactly one of secret, file, inline (base64), inlineString. */
export function validateDataSource(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): DataSource | undefined {
  if (isAbsent(value)) {
    ctx.add(path, Messages.hasToBeDefined);
    return undefined;
  }
  const obj = ctx.lenientObject(value, path, SOURCES);
  if (obj === undefined) {
    return undefined;
  }
  const given = SOURCES.filter((source) => !isAbsent(obj[source]));
  if (given.length === 0) {
    ctx.add(path, DataSourceMessages.choose);
    return undefined;
  }
  if (given.length > 1) {
    ctx.add(path, DataSourceMessages.onlyOne);
    return undefined;
  }
  const source = given[0];
  const text = ctx.requiredString(obj[source], path.field(source));
  if (text === undefined) {
    return undefined;
  }
  if ((source === 'inline' || source === 'inlineString') && text === REDACTED_VALUE) {
    // Sent back from a read that was not the admin's (`get -o yaml | apply`): never a key.
    ctx.add(path.field(source), DataSourceMessages.redacted);
    return undefined;
  }
  if (source === 'inline' && !isBase64(text)) {
    ctx.add(path.field(source), Messages.validBase64);
    return undefined;
  }
  return { [source]: text } as DataSource;
}
