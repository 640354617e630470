import { parseDuration } from '../duration';
import { FieldPath } from '../validation/field-path';
import { Messages, mustBeInRange } from '../validation/messages';
import { JsonObject, ValidationContext, compact, isAbsent } from '../validation/validation-context';
import { validateDataSource } from './data-source.validator';
import { RSA_BITS_LIMITS } from './mesh-defaults';
import { DP_CERT_EXPIRATION_PATH, MeshMessages } from './mesh.messages';
import type { BuiltinCaConf, DpCertSpec, ProvidedCaConf, RootChainSpec } from './mesh.types';

// The parts of an mTLS backend below its name and type: dpCert, rootChain and each type's conf.

export function validateDpCert(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): DpCertSpec | undefined {
  const obj = ctx.lenientObject(value, path, ['rotation', 'requestTimeout']);
  if (obj === undefined) {
    return undefined;
  }
  const rotationObj = ctx.lenientObject(obj.rotation, path.field('rotation'), ['expiration']);
  const expiration = rotationObj && validateExpiration(ctx, rotationObj.expiration);
  const requestTimeout = validateProtoDuration(ctx, obj.requestTimeout, path.field('requestTimeout'));
  if (requestTimeout !== undefined) ctx.note(path.field('requestTimeout'), MeshMessages.storedNotEnforced);
  const rotation = rotationObj && compact({ expiration });
  return compact({ rotation, requestTimeout });
}

export function validateRootChain(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): RootChainSpec | undefined {
  const obj = ctx.lenientObject(value, path, ['requestTimeout']);
  if (obj === undefined) {
    return undefined;
  }
  ctx.note(path, MeshMessages.storedNotEnforced);
  return compact({
    requestTimeout: validateProtoDuration(ctx, obj.requestTimeout, path.field('requestTimeout')),
  });
}

/** A dataplane certificate's validity, reported on Kuma's path; zero is refused (no certificate can live 0s). */
function validateExpiration(ctx: ValidationContext, value: unknown): string | undefined {
  const text = ctx.string(value, DP_CERT_EXPIRATION_PATH);
  if (text === undefined) {
    return undefined;
  }
  const ms = text === '0' ? 0 : parseDuration(text);
  if (ms === undefined) {
    ctx.add(DP_CERT_EXPIRATION_PATH, Messages.validFormat);
    return undefined;
  }
  if (ms === 0) {
    ctx.add(DP_CERT_EXPIRATION_PATH, Messages.mustBeGreaterThanZero);
    return undefined;
  }
  return text;
}

/** A `google.protobuf.Duration` as protobuf JSON writes it: seconds with up to 9 decimals, then `s`. */
const PROTO_DURATION = /^-?\d+(\.\d{1,9})?s$/;

/**
 * A request timeout: a protobuf duration as Kuma takes it (`1.5s`), or a duration such as `1m` as earlier
 * versions of this control plane took it (Meshes stored then still read back).
 */
function validateProtoDuration(ctx: ValidationContext, value: unknown, path: FieldPath): string | undefined {
  const text = ctx.string(value, path);
  const valid = (t: string) => PROTO_DURATION.test(t) || parseDuration(t) !== undefined;
  return ctx.check(text, path, valid, Messages.validFormat);
}

/** An optional duration that, when given, must parse and be positive. */
function validateDuration(ctx: ValidationContext, value: unknown, path: FieldPath): string | undefined {
  const text = ctx.string(value, path);
  if (text === undefined) {
    return undefined;
  }
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.add(path, Messages.validFormat);
    return undefined;
  }
  if (ms === 0) {
    ctx.add(path, Messages.mustBeGreaterThanZero);
    return undefined;
  }
  return text;
}

/** Kuma keeps a backend's `conf` as a struct: fields its plugin does not read are kept and noted. */
function noteKeptConfFields(
  ctx: ValidationContext,
  obj: JsonObject,
  path: FieldPath,
  known: readonly string[],
): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) ctx.note(path.field(key), MeshMessages.confFieldKept);
  }
}

export function validateBuiltinConf(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): BuiltinCaConf | undefined {
  const obj = ctx.map(value, path);
  if (obj === undefined) {
    return undefined;
  }
  noteKeptConfFields(ctx, obj, path, ['caCert']);
  const caCertPath = path.field('caCert');
  const caCertObj = ctx.lenientObject(obj.caCert, caCertPath, ['RSAbits', 'expiration']);
  if (caCertObj === undefined) {
    return withoutAbsent(obj, ['caCert']);
  }
  const bitsPath = caCertPath.field('RSAbits');
  const { min, max } = RSA_BITS_LIMITS;
  const bits = ctx.integer(caCertObj.RSAbits, bitsPath);
  const RSAbits = ctx.check(bits, bitsPath, (b) => b >= min && b <= max, mustBeInRange(min, max));
  const expiration = validateDuration(ctx, caCertObj.expiration, caCertPath.field('expiration'));
  return { ...withoutAbsent(obj, ['caCert']), caCert: compact({ RSAbits, expiration }) };
}

export function validateProvidedConf(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): ProvidedCaConf | undefined {
  // A missing conf reports its missing cert and key, the fields a user has to add.
  const obj = isAbsent(value) ? {} : ctx.map(value, path);
  if (obj === undefined) {
    return undefined;
  }
  noteKeptConfFields(ctx, obj, path, ['cert', 'key', 'skipValidation']);
  const cert = validateDataSource(ctx, obj.cert, path.field('cert'));
  const key = validateDataSource(ctx, obj.key, path.field('key'));
  const skipValidation = ctx.boolean(obj.skipValidation, path.field('skipValidation'));
  if (cert === undefined || key === undefined) {
    return undefined;
  }
  return {
    ...withoutAbsent(obj, ['cert', 'key', 'skipValidation']),
    ...compact({ cert, key, skipValidation }),
  };
}

/** The conf as given, less the fields a validator replaces with their parsed values (and absent ones). */
function withoutAbsent(obj: JsonObject, replaced: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k, v]) => !replaced.includes(k) && !isAbsent(v)));
}
