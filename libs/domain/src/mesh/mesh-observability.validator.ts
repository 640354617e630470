import { FieldPath } from '../validation/field-path';
import { JsonObject, ValidationContext, isAbsent } from '../validation/validation-context';
import { MeshSectionMessages as M } from './mesh-sections.validator';

// Kuma's checks of the logging, tracing and metrics backends (stored here, not acted on).

const ZIPKIN_API_VERSIONS = ['httpJsonV1', 'httpJson', 'httpProto'];
const PROMETHEUS_TLS_MODES = ['activeMTLSBackend', 'providedTLS', 'disabled'] as const;

type Section = JsonObject | undefined;

/** Backends of one section: each checked, then its name compared with the earlier ones (Kuma's order). */
function eachBackend(
  ctx: ValidationContext,
  section: JsonObject,
  path: FieldPath,
  check: (backend: JsonObject, at: FieldPath) => void,
  nameCheckFirst = false,
): Set<string> {
  const used = new Set<string>();
  const backendsPath = path.field('backends');
  const list = ctx.array(section.backends, backendsPath) ?? [];
  list.forEach((item, i) => {
    const at = backendsPath.index(i);
    const backend = ctx.map(item, at);
    if (backend === undefined) return;
    const name = isAbsent(backend.name) ? '' : ctx.string(backend.name, at.field('name'));
    const duplicate = () => {
      if (name !== undefined && used.has(name)) ctx.add(at.field('name'), M.nameAlreadyUsed(name));
    };
    if (nameCheckFirst) duplicate();
    check(backend, at);
    if (!nameCheckFirst) duplicate();
    if (name !== undefined) used.add(name);
  });
  return used;
}

function checkDefault(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
  used: Set<string>,
  message: string,
): void {
  const name = ctx.string(value, path);
  if (name !== undefined && name !== '' && !used.has(name)) ctx.add(path, message);
}

/** A backend's `conf` as Kuma reads it into a typed config: an object, or absent (an empty one). */
function confOf(ctx: ValidationContext, backend: JsonObject, path: FieldPath): JsonObject | undefined {
  if (isAbsent(backend.conf)) return {};
  return ctx.map(backend.conf, path);
}

/** A string field of a conf; absent reads as empty, as protobuf does. */
function text(ctx: ValidationContext, value: unknown, path: FieldPath): string | undefined {
  return isAbsent(value) ? '' : ctx.string(value, path);
}

export function validateLogging(ctx: ValidationContext, value: unknown, path: FieldPath): Section {
  const section = ctx.map(value, path);
  if (section === undefined) return undefined;
  const used = eachBackend(ctx, section, path, (backend, at) => {
    if (isAbsent(backend.name) || backend.name === '') ctx.add(at.field('name'), M.cannotBeEmpty);
    ctx.string(backend.format, at.field('format'));
    const type = text(ctx, backend.type, at.field('type'));
    const config = at.field('config');
    if (type === 'file') {
      const conf = confOf(ctx, backend, config);
      const filePath = conf && text(ctx, conf.path, config.field('path'));
      if (filePath === '') ctx.add(config.field('path'), M.cannotBeEmpty);
    } else if (type === 'tcp') {
      const conf = confOf(ctx, backend, config);
      const address = conf && text(ctx, conf.address, config.field('address'));
      if (address === '') ctx.add(config.field('address'), M.cannotBeEmpty);
      else if (address !== undefined && !isHostPort(address)) ctx.add(config.field('address'), M.hostPort);
    } else if (type !== undefined) {
      ctx.add(at.field('type'), M.unknownType('tcp', 'file'));
    }
  });
  checkDefault(ctx, section.defaultBackend, path.field('defaultBackend'), used, M.loggingDefault);
  return section;
}

export function validateTracing(ctx: ValidationContext, value: unknown, path: FieldPath): Section {
  const section = ctx.map(value, path);
  if (section === undefined) return undefined;
  const used = eachBackend(ctx, section, path, (backend, at) => {
    if (isAbsent(backend.name) || backend.name === '') ctx.add(at.field('name'), M.cannotBeEmpty);
    const sampling = ctx.number(backend.sampling, at.field('sampling'));
    if (sampling !== undefined && (sampling < 0 || sampling > 100)) ctx.add(at.field('sampling'), M.sampling);
    const type = text(ctx, backend.type, at.field('type'));
    const config = at.field('config');
    if (type === 'zipkin') {
      const conf = confOf(ctx, backend, config);
      if (conf !== undefined) validateZipkin(ctx, conf, config);
    } else if (type === 'datadog') {
      const conf = confOf(ctx, backend, config);
      if (conf !== undefined) validateDatadog(ctx, conf, config);
    } else if (type !== undefined) {
      ctx.add(at.field('type'), M.unknownType('zipkin', 'datadog'));
    }
  });
  checkDefault(ctx, section.defaultBackend, path.field('defaultBackend'), used, M.tracingDefault);
  return section;
}

function validateZipkin(ctx: ValidationContext, conf: JsonObject, path: FieldPath): void {
  const apiVersion = text(ctx, conf.apiVersion, path.field('apiVersion'));
  if (apiVersion !== undefined && apiVersion !== '' && !ZIPKIN_API_VERSIONS.includes(apiVersion)) {
    ctx.add(path.field('apiVersion'), M.apiVersion);
  }
  ctx.boolean(conf.traceId128bit, path.field('traceId128bit'));
  ctx.boolean(conf.sharedSpanContext, path.field('sharedSpanContext'));
  const url = text(ctx, conf.url, path.field('url'));
  if (url === '') {
    ctx.add(path.field('url'), M.cannotBeEmpty);
    return;
  }
  if (url === undefined) return;
  const port = requestUriPort(url);
  if (port === undefined) ctx.add(path.field('url'), M.invalidUrl);
  else if (port === '') ctx.add(path.field('url'), M.urlPort);
}

function validateDatadog(ctx: ValidationContext, conf: JsonObject, path: FieldPath): void {
  const address = text(ctx, conf.address, path.field('address'));
  if (address === '') ctx.add(path.field('address'), M.cannotBeEmpty);
  ctx.boolean(conf.splitService, path.field('splitService'));
  const port = isAbsent(conf.port) ? 0 : ctx.integer(conf.port, path.field('port'));
  if (port !== undefined && (port < 1 || port > 65535)) ctx.add(path.field('port'), M.port);
}

export function validateMetrics(ctx: ValidationContext, value: unknown, path: FieldPath): Section {
  const section = ctx.map(value, path);
  if (section === undefined) return undefined;
  const used = eachBackend(
    ctx,
    section,
    path,
    (backend, at) => {
      const type = text(ctx, backend.type, at.field('type'));
      if (type === undefined) return;
      if (type !== 'prometheus') {
        ctx.add(at.field('type'), M.unknownType('prometheus'));
        return;
      }
      const conf = confOf(ctx, backend, at.field('conf'));
      if (conf !== undefined) validatePrometheus(ctx, conf, at.field('conf'));
    },
    true,
  );
  checkDefault(ctx, section.enabledBackend, path.field('enabledBackend'), used, M.metricsEnabled);
  return section;
}

function validatePrometheus(ctx: ValidationContext, conf: JsonObject, path: FieldPath): void {
  const skipMTLS = ctx.boolean(conf.skipMTLS, path.field('skipMTLS'));
  const tls = ctx.map(conf.tls, path.field('tls'));
  const mode =
    tls &&
    (isAbsent(tls.mode)
      ? 'activeMTLSBackend'
      : ctx.oneOf(tls.mode, path.field('tls').field('mode'), PROMETHEUS_TLS_MODES));
  if (skipMTLS !== undefined && tls !== undefined && mode !== undefined) {
    const equal = skipMTLS ? mode === 'disabled' : mode === 'activeMTLSBackend';
    if (!equal) {
      ctx.add(path, M.skipMtlsAndTls);
      return;
    }
  }
  const envoy = ctx.map(conf.envoy, path.field('envoy'));
  const filterRegex = envoy && ctx.string(envoy.filterRegex, path.field('envoy').field('filterRegex'));
  if (filterRegex !== undefined) {
    try {
      new RegExp(filterRegex);
    } catch (error) {
      ctx.add(path.field('envoy').field('filterRegex'), M.badRegex((error as Error).message));
      return;
    }
  }
  const aggregatePath = path.field('aggregate');
  const seen = new Set<string>();
  (ctx.array(conf.aggregate, aggregatePath) ?? []).forEach((item, i) => {
    const entry = ctx.map(item, aggregatePath.index(i));
    const name = entry && text(ctx, entry.name, aggregatePath.index(i).field('name'));
    if (name === undefined) return;
    if (seen.has(name)) ctx.add(aggregatePath.index(i).field('name'), M.duplicateAggregate(name));
    seen.add(name);
  });
}

/** Go's `net.SplitHostPort` accepting the address, with a host and a port both non-empty. */
function isHostPort(address: string): boolean {
  let host: string;
  let port: string;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0 || address[end + 1] !== ':') return false;
    host = address.slice(1, end);
    port = address.slice(end + 2);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0 || address.indexOf(':') !== colon) return false;
    host = address.slice(0, colon);
    port = address.slice(colon + 1);
  }
  if (/[[\]]/.test(host) || /[[\]:]/.test(port)) return false;
  return host !== '' && port !== '';
}

/**
 * The port of a URL as Go's `url.ParseRequestURI` reads it: `undefined` when it is not a request URI
 * (absolute, or an absolute path), `''` when it names no port.
 */
function requestUriPort(url: string): string | undefined {
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return undefined;
  if (url.startsWith('/')) return '';
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(url);
  if (scheme === null) return undefined;
  const rest = url.slice(scheme[0].length);
  if (!rest.startsWith('//')) return '';
  const authority = rest.slice(2).split(/[/?#]/, 1)[0]!;
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const port = host.startsWith('[')
    ? (/^\[[^\]]*\](?::(.*))?$/.exec(host)?.[1] ?? (/^\[[^\]]*\]$/.test(host) ? '' : undefined))
    : host.includes(':')
      ? host.slice(host.lastIndexOf(':') + 1)
      : '';
  if (port === undefined || !/^\d*$/.test(port)) return undefined;
  return port;
}
