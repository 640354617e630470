import type { UniversalDoc } from '../api-client';
import { isRecord } from '../json.util';
import { formatAgo, formatDate } from './age.formatter';
import { dataplaneTags } from './resource-columns';

/** A table before layout: kumactl's columns first, then this project's. */
export interface InspectTable {
  readonly headers: readonly string[];
  readonly rows: readonly string[][];
  /** How many of the columns are kumactl's (the first ones). */
  readonly kumactlColumns: number;
}

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
const records = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter(isRecord) : [];
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
/** A counter as Kuma prints it: a number, or a decimal string for 64-bit ones; missing is 0. */
const count = (value: unknown): number => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : 0;
  return Number.isFinite(n) ? n : 0;
};

const DATAPLANE_HEADERS = [
  'MESH',
  'NAME',
  'TAGS',
  'STATUS',
  'LAST CONNECTED AGO',
  'LAST UPDATED AGO',
  'TOTAL UPDATES',
  'TOTAL ERRORS',
  'CERT REGENERATED AGO',
  'CERT EXPIRATION',
  'CERT REGENERATIONS',
  'CERT BACKEND',
  'SUPPORTED CERT BACKENDS',
  'KUMA-DP VERSION',
  'ENVOY VERSION',
  'DEPENDENCIES VERSIONS',
  'NOTES',
];

/**
 * Kuma's status of a dataplane from its overview: Offline without an open stream or a ready inbound,
 * Partially degraded while some inbounds are not ready, else Online; with why inbounds are not ready.
 */
export function dataplaneStatus(overview: UniversalDoc): { status: string; notes: string[] } {
  const insight = record(overview.dataplaneInsight);
  const online = records(insight.subscriptions).some(
    (s) => typeof s.connectTime === 'string' && s.disconnectTime === undefined,
  );
  const networking = record(record(overview.dataplane).networking);
  if (isRecord(networking.gateway)) return { status: online ? 'Online' : 'Offline', notes: [] };
  const inbounds = records(networking.inbound);
  const notes: string[] = [];
  for (const inbound of inbounds) {
    const health = inbound.health;
    if ((isRecord(health) && health.ready !== true) || inbound.state === 'NotReady') {
      notes.push(
        `inbound[port=${String(inbound.port)},svc=${text(record(inbound.tags)['kuma.io/service'])}] is not ready`,
      );
    }
  }
  const ready = inbounds.length - notes.length;
  if (!online || ready === 0) return { status: 'Offline', notes };
  if (ready < inbounds.length) return { status: 'Partially degraded', notes };
  return { status: 'Online', notes: [] };
}

/** `meshctl inspect dataplanes`: kumactl's columns, its formats (ages, dates, `never`, `-`). */
export function dataplaneOverviewTable(items: readonly UniversalDoc[], now: Date): InspectTable {
  const rows = items.map((item) => {
    const insight = record(item.dataplaneInsight);
    const subscriptions = records(insight.subscriptions);
    const last = subscriptions.at(-1) ?? {};
    const sum = (field: string) =>
      subscriptions.reduce((n, s) => n + count(record(record(s.status).total)[field]), 0);
    const { status, notes } = dataplaneStatus(item);
    const mtls = isRecord(insight.mTLS) ? insight.mTLS : undefined;
    const version = record(last.version);
    const dependencies = Object.entries(record(version.dependencies))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, v]) => `${name}: ${String(v)}`)
      .join(', ');
    return [
      text(item.mesh),
      text(item.name),
      dataplaneTags(record(record(item.dataplane).networking)),
      status,
      formatAgo(last.connectTime, now),
      formatAgo(record(last.status).lastUpdateTime, now),
      String(sum('responsesSent')),
      String(sum('responsesRejected')),
      formatAgo(mtls?.lastCertificateRegeneration, now),
      formatDate(mtls?.certificateExpirationTime),
      String(count(mtls?.certificateRegenerations)),
      mtls ? text(mtls.issuedBackend) : '-',
      Array.isArray(mtls?.supportedBackends) ? mtls.supportedBackends.map(String).join(',') : '',
      text(record(version.kumaDp).version),
      text(record(version.envoy).version),
      dependencies || '-',
      notes.join(';'),
    ];
  });
  return { headers: DATAPLANE_HEADERS, rows, kumactlColumns: DATAPLANE_HEADERS.length };
}

/** kumactl's policy columns of `inspect meshes`, with the policy type each counts. */
const MESH_POLICY_COLUMNS: readonly (readonly [string, string])[] = [
  ['TRAFFIC PERMISSIONS', 'TrafficPermission'],
  ['TRAFFIC ROUTES', 'TrafficRoute'],
  ['CIRCUIT BREAKERS', 'CircuitBreaker'],
  ['HEALTH CHECKS', 'HealthCheck'],
  ['FAULT INJECTIONS', 'FaultInjection'],
  ['EXTERNAL SERVICES', 'ExternalService'],
  ['TRAFFIC TRACES', 'TrafficTrace'],
  ['TRAFFIC LOGS', 'TrafficLog'],
  ['PROXY TEMPLATES', 'ProxyTemplate'],
  ['RATE LIMITS', 'RateLimit'],
];

/**
 * Columns beyond kumactl's: the mesh's MeshTrafficPermissions, certificates by backend, first CA expiry,
 * and its CA switch.
 */
const MESH_EXTRA_HEADERS = ['MESH TRAFFIC PERMISSIONS', 'ISSUED BACKENDS', 'CA EXPIRATION', 'CA SWITCH'];

/**
 * The mesh insight's `mTLS.caSwitch` in one cell: `ca-1→ca-2 waiting-for-bundle 3/4` (from→to, state,
 * online dataplanes that acknowledged / online dataplanes); `ca-2 waiting-for-removal 1/2` when only a
 * removed backend's CA is still trusted (no `from`); `ca-1→ca-2 done` once complete; `-` when the mesh
 * never had a switch.
 */
export function caSwitchCell(caSwitch: unknown): string {
  if (!isRecord(caSwitch) || text(caSwitch.to) === '') return '-';
  const from = text(caSwitch.from);
  const backends = from === '' ? text(caSwitch.to) : `${from}→${text(caSwitch.to)}`;
  const state = text(caSwitch.state) || 'unknown';
  if (state === 'done') return `${backends} done`;
  return `${backends} ${state} ${count(caSwitch.acknowledged)}/${count(caSwitch.total)}`;
}

/** `meshctl inspect meshes`: kumactl's columns (online/total dataplanes, policy counts), then ours. */
export function meshInsightTable(items: readonly UniversalDoc[]): InspectTable {
  const rows = items.map((item) => {
    const dataplanes = record(item.dataplanes);
    const policies = record(item.policies);
    const policyTotal = (type: string) => String(count(record(policies[type]).total));
    const mtls = record(item.mTLS);
    const issued = record(mtls.issuedBackends);
    const earliest = records(item.caCertificates)
      .map((ca) => text(ca.notAfter))
      .filter((t) => t !== '')
      .sort((a, b) => Date.parse(a) - Date.parse(b))
      .at(0);
    return [
      text(item.name),
      `${count(dataplanes.online)}/${count(dataplanes.total)}`,
      ...MESH_POLICY_COLUMNS.map(([, type]) => policyTotal(type)),
      policyTotal('MeshTrafficPermission'),
      Object.keys(issued)
        .sort()
        .map((backend) => `${backend}=${count(record(issued[backend]).total)}`)
        .join(',') || '-',
      formatDate(earliest),
      caSwitchCell(mtls.caSwitch),
    ];
  });
  const kumactl = ['MESH', 'DATAPLANES', ...MESH_POLICY_COLUMNS.map(([header]) => header)];
  return { headers: [...kumactl, ...MESH_EXTRA_HEADERS], rows, kumactlColumns: kumactl.length };
}
