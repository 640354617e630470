import type { DataplaneSpec } from '../dataplane/dataplane.types';
import {
  EMPTY_INSIGHT,
  withCertificateIssued,
  withCertificateWithdrawn,
  withConnected,
  withDisconnected,
  type DataplaneInsightSpec,
} from './dataplane-insight.rules';
import { dataplaneStatus, meshInsightOf } from './mesh-insight.rules';

const spec = (...services: string[]): DataplaneSpec => ({
  networking: {
    address: '10.0.0.1',
    inbound: services.map((service, i) => ({ port: 8080 + i, tags: { 'kuma.io/service': service } })),
  },
});

const cert = (serial: string, backend: string, supportedBackends: string[]) => ({
  serial,
  backend,
  supportedBackends,
  notBefore: '2026-11-28T10:00:00Z',
  notAfter: '2026-11-28T11:00:00Z',
  issuedAt: '2026-11-28T10:00:00Z',
});
const stream = { id: 'x', controlPlaneInstanceId: 'cp', connectTime: '2026-11-28T10:00:00Z' };

describe('mesh insight', () => {
  const online = withCertificateIssued(
    withConnected(EMPTY_INSIGHT, stream)!,
    cert('s', 'ca-1', ['ca-1', 'ca-2']),
  )!;
  const offline = withCertificateIssued(EMPTY_INSIGHT, cert('t', 'ca-1', ['ca-1']))!;
  const disconnected = withDisconnected(online, { ...stream, disconnectTime: '2026-11-28T10:30:00Z' })!;

  it('is online while a stream is open, offline once it ended or when it never connected', () => {
    expect(dataplaneStatus(online)).toBe('Online');
    expect(dataplaneStatus(disconnected)).toBe('Offline');
    expect(dataplaneStatus(offline)).toBe('Offline');
    expect(dataplaneStatus(undefined)).toBe('Offline');
  });

  it('counts dataplanes by status, type, version and backend, as Kuma computes them', () => {
    const insights = new Map<string, DataplaneInsightSpec>([
      ['web-1', online],
      ['web-2', offline],
      ['db-1', withCertificateWithdrawn(online)!],
    ]);
    const insight = meshInsightOf(
      [
        { name: 'web-1', spec: spec('web') },
        { name: 'web-2', spec: spec('web', 'web-admin') },
        { name: 'db-1', spec: spec('db') },
        { name: 'never', spec: spec('db') },
      ],
      insights,
      { MeshTrafficPermission: 2, Secret: 1 },
    );
    const stat = (online: number, offline: number) => ({
      total: online + offline,
      online,
      offline,
      partiallyDegraded: 0,
    });
    expect(insight).toEqual({
      dataplanes: stat(2, 2),
      policies: { MeshTrafficPermission: { total: 2 } },
      dpVersions: { kumaDp: { unknown: stat(2, 2) }, envoy: { unknown: stat(2, 2) } },
      mTLS: {
        // db-1's certificate was withdrawn: it holds none, so no backend counts it.
        issuedBackends: { 'ca-1': stat(1, 1) },
        supportedBackends: { 'ca-1': stat(1, 1), 'ca-2': stat(1, 0) },
      },
      services: { total: 3, internal: 3, external: 0 },
      dataplanesByType: {
        standard: stat(2, 2),
        gateway: stat(0, 0),
        gatewayBuiltin: stat(0, 0),
        gatewayDelegated: stat(0, 0),
      },
      resources: {
        Secret: { total: 1 },
        Dataplane: { total: 4 },
        MeshTrafficPermission: { total: 2 },
      },
    });
  });

  it('leaves out the types a mesh holds none of, and counts no insights as resources', () => {
    const insight = meshInsightOf([], new Map(), { Secret: 0, DataplaneInsight: 3 });
    expect(insight.resources).toEqual({});
    expect(insight.policies).toEqual({});
    expect(insight.dpVersions).toEqual({ kumaDp: {}, envoy: {} });
    expect(insight.services).toEqual({ total: 0, internal: 0, external: 0 });
  });
});
