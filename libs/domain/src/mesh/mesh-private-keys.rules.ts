import type { ResourceRecord } from '../resource';
import { ResourceType } from '../resource-types';

/** What a reader who is not the admin sees in place of a private key held inline in a Mesh. */
export const REDACTED_VALUE = '[redacted]';

/** Where a Mesh holds a private key inline: a provided backend's `conf.key.inline` or `.inlineString`. */
export interface InlineKeyLocation {
  /** The backend's name (stable when backends are reordered). */
  readonly backend: string;
  readonly form: 'inline' | 'inlineString';
  /** The field as violations name it: `mtls.backends[0].conf.key.inlineString`. */
  readonly field: string;
}

const FORMS = ['inline', 'inlineString'] as const;

/**
 * A Mesh spec with every inline private key replaced by `map(value, where)`; the spec itself when it
 * holds none. Only the path to each key is copied; the input is never changed. Any shape is accepted
 * (what a store holds is not trusted to be valid): what is not a backend with an inline key is left.
 */
export function mapMeshInlineKeys(
  spec: unknown,
  map: (value: string, where: InlineKeyLocation) => string,
): unknown {
  const backends = (spec as { mtls?: { backends?: unknown } } | null)?.mtls?.backends;
  if (!Array.isArray(backends)) return spec;
  let changed = false;
  const mapped = backends.map((backend: unknown, index) => {
    const conf = (backend as { conf?: unknown } | null)?.conf;
    const key = (conf as { key?: unknown } | null)?.key;
    if (key === null || typeof key !== 'object') return backend;
    const form = FORMS.find((f) => typeof (key as Record<string, unknown>)[f] === 'string');
    if (form === undefined) return backend;
    changed = true;
    const name = (backend as { name?: unknown }).name;
    const value = map((key as Record<string, string>)[form]!, {
      backend: typeof name === 'string' ? name : `#${index}`,
      form,
      field: `mtls.backends[${index}].conf.key.${form}`,
    });
    return {
      ...(backend as object),
      conf: { ...(conf as object), key: { ...(key as object), [form]: value } },
    };
  });
  if (!changed) return spec;
  const mtls = (spec as { mtls: object }).mtls;
  return { ...(spec as object), mtls: { ...mtls, backends: mapped } };
}

/**
 * A record as a reader who is not the admin may see it: a Mesh's inline private keys replaced by
 * REDACTED_VALUE. Other types are returned as they are (Secrets are not readable by them at all).
 */
export function withoutPrivateKeys(record: ResourceRecord): ResourceRecord {
  if (record.meta.type !== ResourceType.Mesh) return record;
  const spec = mapMeshInlineKeys(record.spec, () => REDACTED_VALUE);
  return spec === record.spec ? record : { meta: record.meta, spec };
}
