import { parseDuration } from '../duration';
import { FieldPath } from '../validation/field-path';
import type { SpecSchema } from '../validation/spec-schema';
import { Messages, mustBeInRange } from '../validation/messages';
import { NameLimits, isValidResourceName, validateResourceName } from '../validation/resource-name.validator';
import {
  JsonObject,
  ValidationContext,
  compact,
  definedItems,
  isAbsent,
} from '../validation/validation-context';
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
  RootChainSpec,
  STORED_ONLY_SECTIONS,
} from './mesh.types';
import {
  validateConstraints,
  validateInitialPolicies,
  validateLogging,
  validateMeshServices,
  validateMetrics,
  validateNetworking,
  validateRouting,
  validateTracing,
  validateZoneEgress,
} from './mesh-sections.validator';

export const MeshMessages = {
  enabledBackendUnknown: 'has to be set to one of the backends in the mesh',
  unknownBackendType: 'could not find installed plugin for this type',
  nameAlreadyUsed: (name: string) => `${JSON.stringify(name)} name is already used for another backend`,
  /** Kuma's builtin plugin check on the Secret names a backend's CA is kept under. */
  builtinNameNotDns: (name: string) => `${JSON.stringify(name)} name must be valid dns name`,
  builtinNameTooLong: (max: number) => `Backend name is too long. Max length: ${max}`,
  storedNotEnforced: 'stored, not enforced by meshtls',
  confFieldKept: 'not a field of this backend type: stored as given (Kuma keeps it too), not used',
} as const;

/**
 * Kuma reports a bad dataplane certificate duration on this path, without the backend's index
 * (`mesh_validator.go`); kept so a Kuma user's tooling finds it where it looks.
 */
export const DP_CERT_EXPIRATION_PATH = FieldPath.at('mtls')
  .field('dpcert')
  .field('rotation')
  .field('expiration');

/** Kuma's builtin plugin re-rooted under the backend's `conf`: `mtls.backends[0].conf.mtls.backends.name`. */
export function builtinNamePath(index: number): FieldPath {
  return FieldPath.at('mtls')
    .field('backends')
    .index(index)
    .field('conf')
    .field('mtls')
    .field('backends')
    .field('name');
}

/** The Secret name prefix of a builtin CA: `{mesh}.ca-builtin-cert-{backend}`; its first DNS label is shared. */
const BUILTIN_SECRET_LABEL_PREFIX = 'ca-builtin-cert-';
const DNS_LABEL_MAX = 63;

/** The flat fields of a Mesh document (everything but type and name), in the order Kuma lists them. */
export const MESH_SPEC: SpecSchema<MeshSpec> = {
  fields: ['mtls', ...STORED_ONLY_SECTIONS],
  validate: (ctx, doc) => {
    // Kuma's order: mtls, logging, tracing, metrics, constraints, then the zone egress rule.
    const mtls = validateMtls(ctx, doc.mtls, FieldPath.at('mtls'));
    const logging = validateLogging(ctx, doc.logging, FieldPath.at('logging'));
    const tracing = validateTracing(ctx, doc.tracing, FieldPath.at('tracing'));
    const metrics = validateMetrics(ctx, doc.metrics, FieldPath.at('metrics'));
    const constraints = validateConstraints(ctx, doc.constraints, FieldPath.at('constraints'));
    const routing = validateRouting(ctx, doc.routing, FieldPath.at('routing'));
    validateZoneEgress(ctx, routing, mtls?.enabledBackend);
    const networking = validateNetworking(ctx, doc.networking, FieldPath.at('networking'));
    const meshServices = validateMeshServices(ctx, doc.meshServices, FieldPath.at('meshServices'));
    const skipCreatingInitialPolicies = validateInitialPolicies(
      ctx,
      doc.skipCreatingInitialPolicies,
      FieldPath.at('skipCreatingInitialPolicies'),
    );
    const stored = {
      tracing,
      logging,
      metrics,
      networking,
      routing,
      constraints,
      skipCreatingInitialPolicies,
      meshServices,
    };
    for (const section of STORED_ONLY_SECTIONS) {
      if (stored[section] !== undefined) ctx.note(FieldPath.at(section), MeshMessages.storedNotEnforced);
    }
    return compact({ mtls, ...stored });
  },
};

function validateMtls(ctx: ValidationContext, value: unknown, path: FieldPath): MtlsSpec | undefined {
  const obj = ctx.lenientObject(value, path, ['enabledBackend', 'backends', 'skipValidation']);
  if (obj === undefined) {
    return undefined;
  }
  const enabledBackend = ctx.string(obj.enabledBackend, path.field('enabledBackend'));
  const skipValidation = ctx.boolean(obj.skipValidation, path.field('skipValidation'));
  const backendsPath = path.field('backends');
  const list = ctx.array(obj.backends, backendsPath);
  const names = new Set<string>();
  const backends = list?.map((item, i) => {
    const backend = validateBackend(ctx, item, backendsPath.index(i), i);
    const name = (item as { name?: unknown } | null)?.name;
    if (typeof name === 'string') {
      if (names.has(name)) ctx.add(backendsPath.index(i).field('name'), MeshMessages.nameAlreadyUsed(name));
      names.add(name);
    }
    return backend;
  });
  if (enabledBackend !== undefined && enabledBackend !== '' && !names.has(enabledBackend)) {
    ctx.add(path.field('enabledBackend'), MeshMessages.enabledBackendUnknown);
  }
  return compact({ enabledBackend, backends: backends && definedItems(backends), skipValidation });
}

function validateBackend(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
  index: number,
): MtlsBackend | undefined {
  if (isAbsent(value)) {
    ctx.add(path, Messages.mustBeDefined);
    return undefined;
  }
  const obj = ctx.lenientObject(value, path, ['name', 'type', 'mode', 'dpCert', 'rootChain', 'conf']);
  if (obj === undefined) {
    return undefined;
  }
  const name =
    obj.type === MtlsBackendType.Builtin
      ? validateBuiltinName(ctx, obj.name, path.field('name'), index)
      : validateResourceName(ctx, obj.name, path.field('name'), NameLimits.mesh);
  const type = validateBackendType(ctx, obj.type, path.field('type'));
  const mode = ctx.oneOf(obj.mode, path.field('mode'), Object.values(MtlsMode));
  const dpCert = validateDpCert(ctx, obj.dpCert, path.field('dpCert'));
  const rootChain = validateRootChain(ctx, obj.rootChain, path.field('rootChain'));
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
  return compact({ name, type, mode, dpCert, rootChain, conf }) as MtlsBackend;
}

/**
 * Kuma's builtin plugin check: the backend's CA is kept as Secrets named `{mesh}.ca-builtin-cert-{name}`,
 * which must be a lowercase DNS name (here also a valid resource name: no `_`). The length of the whole
 * name depends on the mesh and is checked where the mesh is known (ca-signer).
 */
function validateBuiltinName(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
  index: number,
): string | undefined {
  const name = isAbsent(value) ? '' : ctx.string(value, path);
  if (name === undefined) return undefined;
  const labels = `${BUILTIN_SECRET_LABEL_PREFIX}${name}`.split('.');
  if (!isValidResourceName(name) || labels.some((label) => label.length > DNS_LABEL_MAX)) {
    ctx.add(builtinNamePath(index), MeshMessages.builtinNameNotDns(name));
    return undefined;
  }
  return name;
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

function validateRootChain(
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

function validateProtoDuration(ctx: ValidationContext, value: unknown, path: FieldPath): string | undefined {
  const text = ctx.string(value, path);
  return ctx.check(text, path, (t) => PROTO_DURATION.test(t), Messages.validFormat);
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

function validateBuiltinConf(
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

function validateProvidedConf(
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

/**
 * What a user is told about an accepted Mesh document: each field stored but not acted on, each unknown
 * field left out (Kuma skips them too), each `conf` field kept but unused; `field: what` lines.
 */
export function meshWarnings(document: unknown): string[] {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return [];
  const ctx = new ValidationContext();
  MESH_SPEC.validate(ctx, document as JsonObject);
  return ctx.notes.map((note) => `${note.field}: ${note.message}`);
}
