import type { ApiResourceType } from '@meshtls/domain';
import type { UniversalDoc } from '../api-client';
import { isRecord } from '../json.util';
import { formatAge } from './age.formatter';

/** The table of one resource type: its headers and how a document becomes a row. */
export interface TableColumns {
  readonly headers: readonly string[];
  row(doc: UniversalDoc, now: Date): string[];
}

const text = (value: unknown): string => (typeof value === 'string' && value !== '' ? value : '-');

/** Column sets per type, chosen to answer "is mTLS on, with what, since when" at a glance. */
export const RESOURCE_COLUMNS: Readonly<Record<ApiResourceType, TableColumns>> = {
  Mesh: {
    headers: ['NAME', 'mTLS', 'BACKENDS', 'AGE'],
    row: (doc, now) => [text(doc.name), meshMtls(doc), meshBackends(doc), formatAge(doc.creationTime, now)],
  },
  Secret: {
    headers: ['MESH', 'NAME', 'AGE'],
    row: (doc, now) => [text(doc.mesh), text(doc.name), formatAge(doc.creationTime, now)],
  },
  GlobalSecret: {
    headers: ['NAME', 'AGE'],
    row: (doc, now) => [text(doc.name), formatAge(doc.creationTime, now)],
  },
  Dataplane: {
    headers: ['MESH', 'NAME', 'ADDRESS', 'TAGS', 'AGE'],
    row: (doc, now) => {
      const networking = isRecord(doc.networking) ? doc.networking : {};
      return [
        text(doc.mesh),
        text(doc.name),
        text(networking.address),
        dataplaneTags(networking),
        formatAge(doc.creationTime, now),
      ];
    },
  },
  MeshTrafficPermission: {
    headers: ['MESH', 'NAME', 'TARGETREF', 'AGE'],
    row: (doc, now) => [
      text(doc.mesh),
      text(doc.name),
      targetRef(isRecord(doc.spec) ? doc.spec.targetRef : undefined),
      formatAge(doc.creationTime, now),
    ],
  },
  DataplaneInsight: {
    headers: ['MESH', 'NAME', 'STATUS', 'CERT REGENERATIONS', 'CERT BACKEND', 'AGE'],
    row: (doc, now) => {
      const mtls = isRecord(doc.mTLS) ? doc.mTLS : {};
      const subs = Array.isArray(doc.subscriptions) ? doc.subscriptions.filter(isRecord) : [];
      const last = subs[subs.length - 1];
      return [
        text(doc.mesh),
        text(doc.name),
        last && last.disconnectTime === undefined ? 'Online' : 'Offline',
        String(typeof mtls.certificateRegenerations === 'number' ? mtls.certificateRegenerations : 0),
        text(mtls.issuedBackend),
        formatAge(doc.creationTime, now),
      ];
    },
  },
};

/** `builtin/ca-1` for the enabled backend (type/name, as kumactl shows it), `off` without one. */
export function meshMtls(doc: UniversalDoc): string {
  const mtls = isRecord(doc.mtls) ? doc.mtls : undefined;
  const enabled = mtls?.enabledBackend;
  if (typeof enabled !== 'string' || enabled === '') return 'off';
  const backend = backendsOf(mtls).find((b) => b.name === enabled);
  return backend && typeof backend.type === 'string' ? `${backend.type}/${enabled}` : enabled;
}

export function meshBackends(doc: UniversalDoc): string {
  const names = backendsOf(isRecord(doc.mtls) ? doc.mtls : undefined)
    .map((b) => b.name)
    .filter((n): n is string => typeof n === 'string');
  return names.length > 0 ? names.join(',') : '-';
}

function backendsOf(mtls: Record<string, unknown> | undefined): Record<string, unknown>[] {
  return Array.isArray(mtls?.backends) ? mtls.backends.filter(isRecord) : [];
}

/**
 * Tags of every inbound (and of a gateway), `key=v1,v2` per key, keys sorted and joined by spaces as
 * kumactl prints them: a dataplane with two inbounds of different services shows both.
 */
export function dataplaneTags(networking: Record<string, unknown>): string {
  const tagMaps: unknown[] = Array.isArray(networking.inbound)
    ? networking.inbound.map((i) => (isRecord(i) ? i.tags : undefined))
    : [];
  if (isRecord(networking.gateway)) tagMaps.push(networking.gateway.tags);
  const values = new Map<string, Set<string>>();
  for (const tags of tagMaps.filter(isRecord)) {
    for (const [key, value] of Object.entries(tags)) {
      if (!values.has(key)) values.set(key, new Set());
      values.get(key)?.add(String(value));
    }
  }
  if (values.size === 0) return '-';
  return [...values.keys()]
    .sort()
    .map((key) => `${key}=${[...(values.get(key) ?? [])].sort().join(',')}`)
    .join(' ');
}

/** `Mesh`, `MeshService/web`, `MeshSubset[version=v1]`; a missing targetRef means the whole mesh in Kuma. */
export function targetRef(ref: unknown): string {
  if (!isRecord(ref) || typeof ref.kind !== 'string') return 'Mesh';
  let out = ref.kind;
  if (typeof ref.name === 'string' && ref.name !== '') out += `/${ref.name}`;
  if (isRecord(ref.tags) && Object.keys(ref.tags).length > 0) {
    const tags = Object.entries(ref.tags).map(([k, v]) => `${k}=${String(v)}`);
    out += `[${tags.sort().join(',')}]`;
  }
  return out;
}
