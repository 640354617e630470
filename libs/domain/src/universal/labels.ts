import type { Violation } from '../errors';
import type { ResourceMeta } from '../resource';
import { RESOURCE_DESCRIPTORS, ResourceType } from '../resource-types';
import { FieldPath } from '../validation/field-path';
import { Messages } from '../validation/messages';
import type { ValidationContext } from '../validation/validation-context';

/** A resource's labels: free-form keys and values, as Kubernetes labels. */
export type Labels = Readonly<Record<string, string>>;

/** Where a record keeps the labels its user gave: `record.spec.labels`, for every type. */
export const LABELS_FIELD = 'labels';

/** The labels Kuma reads and computes, by their keys. */
export const LabelKey = {
  mesh: 'kuma.io/mesh',
  origin: 'kuma.io/origin',
  zone: 'kuma.io/zone',
  env: 'kuma.io/env',
  proxyType: 'kuma.io/proxy-type',
  displayName: 'kuma.io/display-name',
  workload: 'kuma.io/workload',
} as const;

/** A standalone control plane is Kuma's non-federated zone: one zone, named `default`, on universal. */
export const STANDALONE_ZONE = 'default';
export const UNIVERSAL_ENV = 'universal';
const ORIGINS = ['global', 'zone'] as const;

/** Types a zone control plane creates itself (Kuma's `ProvidedByZone`): they carry origin, zone and env. */
const PROVIDED_BY_ZONE: ReadonlySet<ResourceType> = new Set([
  ResourceType.Secret,
  ResourceType.GlobalSecret,
  ResourceType.Dataplane,
  ResourceType.MeshTrafficPermission,
]);

// Kubernetes' label syntax, which Kuma applies to label keys and values, with its messages.
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

function regexError(message: string, format: string, ...examples: string[]): string {
  const shown = examples.map((e) => `'${e}', `).join(' or ');
  return `${message} (e.g. ${shown}regex used for validation is '${format}')`;
}

const maxLength = (max: number) => `must be no more than ${max} characters`;
const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/** What is wrong with a label key (Kubernetes' qualified name: an optional DNS prefix, `/`, a name). */
export function labelKeyProblems(key: string): string[] {
  const problems: string[] = [];
  const parts = key.split('/');
  if (parts.length > 2) {
    return [
      `a valid label key ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') problems.push('prefix part must be non-empty');
    else {
      if (byteLength(prefix) > 253) problems.push(`prefix part ${maxLength(253)}`);
      if (!DNS1123_SUBDOMAIN.test(prefix)) {
        problems.push(
          `prefix part ${regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com')}`,
        );
      }
    }
  }
  if (name === '') problems.push('name part must be non-empty');
  else if (byteLength(name) > 63) problems.push(`name part ${maxLength(63)}`);
  if (!QUALIFIED_NAME.test(name)) {
    problems.push(
      `name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`,
    );
  }
  return problems;
}

/** What is wrong with a label value (empty, or a name of at most 63 bytes). */
export function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (byteLength(value) > 63) problems.push(maxLength(63));
  if (!LABEL_VALUE.test(value)) {
    problems.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  }
  return problems;
}

/**
 * Reads the `labels` a user gave a resource, checked as Kuma checks them on a standalone control plane:
 * Kubernetes' syntax for keys and values, a valid `kuma.io/origin`, a `kuma.io/zone` naming this zone and a
 * `kuma.io/mesh` naming the resource's mesh (checked when `owner` is given). Violations are at
 * `labels["key"]`, keys in sorted order. Returns undefined when absent or empty.
 */
export function readLabels(
  ctx: ValidationContext,
  value: unknown,
  owner: { readonly mesh?: string } | undefined,
  path: FieldPath = FieldPath.at(LABELS_FIELD),
): Labels | undefined {
  if (value === undefined || value === null) return undefined;
  const map = ctx.map(value, path);
  if (map === undefined) return undefined;
  const labels: Record<string, string> = {};
  const keys = Object.keys(map).sort();
  for (const key of keys) {
    const at = path.key(key);
    const v = map[key];
    if (typeof v !== 'string') {
      ctx.add(at, Messages.mustBeString);
      continue;
    }
    labels[key] = v;
  }
  const origin = labels[LabelKey.origin];
  if (origin !== undefined && !(ORIGINS as readonly string[]).includes(origin)) {
    ctx.add(path.key(LabelKey.origin), `unknown resource origin ${JSON.stringify(origin)}`);
  }
  if (origin !== 'global') {
    const zone = labels[LabelKey.zone];
    if (zone !== undefined && zone !== STANDALONE_ZONE) {
      ctx.add(path.key(LabelKey.zone), `${LabelKey.zone} label should have ${STANDALONE_ZONE} value`);
    }
    const mesh = labels[LabelKey.mesh];
    if (owner !== undefined && mesh !== undefined && mesh !== (owner.mesh ?? '')) {
      ctx.add(path.key(LabelKey.mesh), `${LabelKey.mesh} label must not differ from mesh set on resource`);
    }
  }
  for (const key of keys) {
    if (!(key in labels)) continue;
    for (const problem of labelKeyProblems(key)) ctx.add(path.key(key), problem);
    for (const problem of labelValueProblems(labels[key]!)) ctx.add(path.key(key), problem);
  }
  return keys.length === 0 ? undefined : labels;
}

/** The user's labels a record holds (`spec.labels`), or none. */
export function userLabelsOf(spec: unknown): Labels {
  const labels = (spec as { labels?: unknown } | null)?.labels;
  return typeof labels === 'object' && labels !== null && !Array.isArray(labels) ? (labels as Labels) : {};
}

/**
 * The labels Kuma's API shows for a resource of a standalone control plane: the user's, plus those Kuma
 * computes when it writes (a user's own value wins): `kuma.io/mesh` on mesh-scoped types; `kuma.io/origin`,
 * `kuma.io/zone` and `kuma.io/env` on types a zone creates; `kuma.io/proxy-type` on Dataplanes. Keys sorted.
 */
export function labelsOf(meta: Pick<ResourceMeta, 'type' | 'mesh'>, spec: unknown): Labels {
  const labels: Record<string, string> = { ...userLabelsOf(spec) };
  const setIfAbsent = (key: string, value: string) => {
    if (!(key in labels)) labels[key] = value;
  };
  if (RESOURCE_DESCRIPTORS[meta.type].scope === 'mesh') setIfAbsent(LabelKey.mesh, meta.mesh ?? 'default');
  if (PROVIDED_BY_ZONE.has(meta.type)) {
    setIfAbsent(LabelKey.origin, 'zone');
    if (labels[LabelKey.origin] !== 'global') {
      setIfAbsent(LabelKey.zone, STANDALONE_ZONE);
      setIfAbsent(LabelKey.env, UNIVERSAL_ENV);
    }
  }
  if (meta.type === ResourceType.Dataplane) labels[LabelKey.proxyType] = proxyTypeOf(spec);
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function proxyTypeOf(spec: unknown): string {
  const gateway = (spec as { networking?: { gateway?: { type?: unknown } } } | null)?.networking?.gateway;
  return gateway?.type === 'BUILTIN' ? 'gateway' : 'sidecar';
}

const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const DNS1035_LABEL_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

/**
 * What is wrong with a Dataplane's `kuma.io/workload` label (a DNS-1035 label, as Kuma checks it when a
 * Dataplane is created on a universal zone), worded as Kuma's bad request; undefined when fine or absent.
 */
export function workloadLabelProblem(labels: Labels): string | undefined {
  const workload = labels[LabelKey.workload];
  if (!workload) return undefined;
  const problems: string[] = [];
  if (byteLength(workload) > 63) problems.push(maxLength(63));
  if (!DNS1035_LABEL.test(workload)) {
    problems.push(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  }
  if (problems.length === 0) return undefined;
  return `labels[${JSON.stringify(LabelKey.workload)}]: must be a valid DNS-1035 label (at most 63 characters, matching regex ${DNS1035_LABEL_FMT}): ${problems.join('; ')}`;
}

/** Labels an update may not change or remove, in the order Kuma checks them. */
const IMMUTABLE_LABELS = [LabelKey.origin, LabelKey.zone, LabelKey.displayName] as const;

/**
 * What an update would change of the labels that name where a resource comes from and what it is called
 * (`kuma.io/origin`, `kuma.io/zone`, `kuma.io/display-name`), comparing the labels Kuma shows before and
 * after (`labelsOf`); Kuma's words, at `labels["key"]`.
 */
export function immutableLabelViolations(current: Labels, next: Labels): Violation[] {
  const violations: Violation[] = [];
  for (const key of IMMUTABLE_LABELS) {
    const was = current[key];
    if (was === undefined) continue;
    const now = next[key];
    const field = FieldPath.at(LABELS_FIELD).key(key).toString();
    if (now === undefined) {
      violations.push({ field, message: `is immutable, cannot be removed (was ${JSON.stringify(was)})` });
    } else if (now !== was) {
      violations.push({
        field,
        message: `is immutable, cannot be changed from ${JSON.stringify(was)} to ${JSON.stringify(now)}`,
      });
    }
  }
  return violations;
}
