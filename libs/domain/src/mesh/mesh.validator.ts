import { FieldPath } from '../validation/field-path';
import type { SpecSchema } from '../validation/spec-schema';
import { Messages } from '../validation/messages';
import { NameLimits, isValidResourceName, validateResourceName } from '../validation/resource-name.validator';
import { ValidationContext, compact, definedItems, isAbsent } from '../validation/validation-context';
import {
  MeshSpec,
  MtlsBackend,
  MtlsBackendType,
  MtlsMode,
  MtlsSpec,
  STORED_ONLY_SECTIONS,
} from './mesh.types';
import {
  validateConstraints,
  validateInitialPolicies,
  validateMeshServices,
  validateNetworking,
  validateRouting,
  validateZoneEgress,
} from './mesh-sections.validator';
import { validateLogging, validateMetrics, validateTracing } from './mesh-observability.validator';

export { MeshMessages, DP_CERT_EXPIRATION_PATH, builtinNamePath } from './mesh.messages';
import { MeshMessages, builtinNamePath } from './mesh.messages';
import { checkStoredDepth } from './nesting.rules';
import {
  validateBuiltinConf,
  validateDpCert,
  validateProvidedConf,
  validateRootChain,
} from './mesh-backend.validator';

/** The flat fields of a Mesh document (everything but type and name), in the order Kuma lists them. */
export const MESH_SPEC: SpecSchema<MeshSpec> = {
  lenient: true,
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
      if (stored[section] === undefined) continue;
      if (checkStoredDepth(ctx, stored[section], FieldPath.at(section))) {
        ctx.note(FieldPath.at(section), MeshMessages.storedNotEnforced);
      }
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
  const conf = !checkStoredDepth(ctx, obj.conf, confPath)
    ? undefined
    : type === MtlsBackendType.Provided
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
 * which must be a lowercase DNS name (here also a valid resource name: no `_`). The lengths of the whole
 * name and of its labels depend on the mesh and are checked where the mesh is known, when a Mesh is
 * applied (ca-signer), so that a Mesh stored under earlier rules still reads back.
 */
function validateBuiltinName(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
  index: number,
): string | undefined {
  const name = isAbsent(value) ? '' : ctx.string(value, path);
  if (name === undefined) return undefined;
  if (!isValidResourceName(name)) {
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
