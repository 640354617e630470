import { parseDuration } from '../duration';
import { FieldPath } from '../validation/field-path';
import type { SpecSchema } from '../validation/spec-schema';
import { Messages, mustBeInRange } from '../validation/messages';
import { NameLimits, validateResourceName } from '../validation/resource-name.validator';
import { ValidationContext, compact, definedItems, isAbsent } from '../validation/validation-context';
import { validateDataSource } from './data-source.validator';
import { RSA_BITS_LIMITS } from './mesh-defaults';
import {
  BuiltinCaConf,
  DpCertSpec,
  MeshSpec,
  MtlsBackend,
  MtlsBackendType,
  MtlsMode,
  MtlsSpec,
  ProvidedCaConf,
} from './mesh.types';

export const MeshMessages = {
  enabledBackendUnknown: 'has to be set to one of the backends in the mesh',
  unknownBackendType: 'could not find installed plugin for this type',
  nameAlreadyUsed: (name: string) => `${JSON.stringify(name)} name is already used for another backend`,
} as const;

/** The flat fields of a Mesh document (everything but type and name): `mtls`. */
export const MESH_SPEC: SpecSchema<MeshSpec> = {
  fields: ['mtls'],
  validate: (ctx, doc) => compact({ mtls: validateMtls(ctx, doc.mtls, FieldPath.at('mtls')) }),
};

function validateMtls(ctx: ValidationContext, value: unknown, path: FieldPath): MtlsSpec | undefined {
  const obj = ctx.object(value, path, ['enabledBackend', 'backends']);
  if (obj === undefined) {
    return undefined;
  }
  const enabledBackend = ctx.string(obj.enabledBackend, path.field('enabledBackend'));
  const backendsPath = path.field('backends');
  const list = ctx.array(obj.backends, backendsPath);
  const backends = list?.map((item, i) => validateBackend(ctx, item, backendsPath.index(i)));
  const names = checkUniqueNames(ctx, list ?? [], backendsPath);
  if (enabledBackend !== undefined && enabledBackend !== '' && !names.has(enabledBackend)) {
    ctx.add(path.field('enabledBackend'), MeshMessages.enabledBackendUnknown);
  }
  return compact({ enabledBackend, backends: backends && definedItems(backends) });
}

/** Reports every backend whose name an earlier backend already uses; returns the names seen. */
function checkUniqueNames(ctx: ValidationContext, items: readonly unknown[], path: FieldPath): Set<string> {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const name = (item as { name?: unknown } | null)?.name;
    if (typeof name !== 'string' || name === '') {
      return;
    }
    if (seen.has(name)) {
      ctx.add(path.index(i).field('name'), MeshMessages.nameAlreadyUsed(name));
    }
    seen.add(name);
  });
  return seen;
}

function validateBackend(ctx: ValidationContext, value: unknown, path: FieldPath): MtlsBackend | undefined {
  const obj = ctx.requiredObject(value, path, ['name', 'type', 'mode', 'dpCert', 'conf']);
  if (obj === undefined) {
    return undefined;
  }
  const name = validateBackendName(ctx, obj.name, path.field('name'));
  const type = validateBackendType(ctx, obj.type, path.field('type'));
  const mode = ctx.oneOf(obj.mode, path.field('mode'), Object.values(MtlsMode));
  const dpCert = validateDpCert(ctx, obj.dpCert, path.field('dpCert'));
  const confPath = path.field('conf');
  const conf =
    type === MtlsBackendType.Provided
      ? validateProvidedConf(ctx, obj.conf, confPath)
      : type === MtlsBackendType.Builtin
        ? validateBuiltinConf(ctx, obj.conf, confPath)
        : undefined;
  if (name === undefined || type === undefined) {
    return undefined;
  }
  return compact({ name, type, mode, dpCert, conf }) as MtlsBackend;
}

/**
 * Backend names become part of Secret names (`{mesh}.ca-builtin-cert-{backend}`), so they follow the
 * resource name rules, with the mesh name's length limit.
 */
function validateBackendName(ctx: ValidationContext, value: unknown, path: FieldPath): string | undefined {
  return validateResourceName(ctx, value, path, NameLimits.mesh);
}

function validateBackendType(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): MtlsBackendType | undefined {
  const type = ctx.requiredString(value, path);
  const isKnown = (t: string) => (Object.values(MtlsBackendType) as string[]).includes(t);
  return ctx.check(type, path, isKnown, MeshMessages.unknownBackendType) as MtlsBackendType | undefined;
}

function validateDpCert(ctx: ValidationContext, value: unknown, path: FieldPath): DpCertSpec | undefined {
  const obj = ctx.object(value, path, ['rotation', 'requestTimeout']);
  if (obj === undefined) {
    return undefined;
  }
  const rotationPath = path.field('rotation');
  const rotationObj = ctx.object(obj.rotation, rotationPath, ['expiration']);
  const expiration =
    rotationObj && validateDuration(ctx, rotationObj.expiration, rotationPath.field('expiration'));
  const requestTimeout = validateDuration(ctx, obj.requestTimeout, path.field('requestTimeout'));
  const rotation = rotationObj && compact({ expiration });
  return compact({ rotation, requestTimeout });
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

function validateBuiltinConf(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): BuiltinCaConf | undefined {
  const obj = ctx.object(value, path, ['caCert']);
  if (obj === undefined) {
    return undefined;
  }
  const caCertPath = path.field('caCert');
  const caCertObj = ctx.object(obj.caCert, caCertPath, ['RSAbits', 'expiration']);
  if (caCertObj === undefined) {
    return {};
  }
  const bitsPath = caCertPath.field('RSAbits');
  const { min, max } = RSA_BITS_LIMITS;
  const bits = ctx.integer(caCertObj.RSAbits, bitsPath);
  const RSAbits = ctx.check(bits, bitsPath, (b) => b >= min && b <= max, mustBeInRange(min, max));
  const expiration = validateDuration(ctx, caCertObj.expiration, caCertPath.field('expiration'));
  return { caCert: compact({ RSAbits, expiration }) };
}

function validateProvidedConf(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): ProvidedCaConf | undefined {
  // A missing conf reports its missing cert and key, the fields a user has to add.
  const obj = isAbsent(value) ? {} : ctx.object(value, path, ['cert', 'key', 'skipValidation']);
  if (obj === undefined) {
    return undefined;
  }
  const cert = validateDataSource(ctx, obj.cert, path.field('cert'));
  const key = validateDataSource(ctx, obj.key, path.field('key'));
  const skipValidation = ctx.boolean(obj.skipValidation, path.field('skipValidation'));
  if (cert === undefined || key === undefined) {
    return undefined;
  }
  return compact({ cert, key, skipValidation });
}
