import {
  EMPTY_INSIGHT,
  withCertificateIssued,
  withConnected,
  withDisconnected,
} from './dataplane-insight.rules';
import { dataplaneInsightView, meshInsightView } from './insight-views';
import { meshInsightOf } from './mesh-insight.rules';

const stream = (id: string, connectTime: string) => ({ id, controlPlaneInstanceId: 'cp-1', connectTime });

describe('insight views', () => {
  it('shows a stream in Kuma’s DiscoverySubscription shape, with a status and no zero counters', () => {
    const insight = withConnected(EMPTY_INSIGHT, stream('stream-id-1', '2019-07-01T00:00:00Z'))!;
    // Kuma's pkg/api-server/testdata/meshes_mesh1_dataplanes_insights.json, dp-1.
    expect(dataplaneInsightView(insight)).toEqual({
      subscriptions: [
        {
          id: 'stream-id-1',
          controlPlaneInstanceId: 'cp-1',
          connectTime: '2019-07-01T00:00:00Z',
          status: { lastUpdateTime: '2019-07-01T00:00:00Z', total: {}, cds: {}, eds: {}, lds: {}, rds: {} },
        },
      ],
    });
  });

  it('dates a stream’s last update by the certificate sent on it, and hides the bookkeeping', () => {
    let insight = withConnected(EMPTY_INSIGHT, stream('a', '2026-11-28T10:00:00.000Z'))!;
    insight = withCertificateIssued(insight, {
      serial: '0a',
      backend: 'ca-1',
      supportedBackends: ['ca-1'],
      notBefore: '2026-11-28T10:00:00.000Z',
      notAfter: '2026-11-28T11:00:00.000Z',
      issuedAt: '2026-11-28T10:00:00.200Z',
    })!;
    insight = withDisconnected(insight, {
      ...stream('a', '2026-11-28T10:00:00.000Z'),
      disconnectTime: '2026-11-28T10:05:00.000Z',
    })!;
    insight = withConnected(insight, stream('b', '2026-11-28T10:06:00.000Z'))!;
    const view = dataplaneInsightView(insight);
    expect(view).toEqual({
      subscriptions: [
        expect.objectContaining({
          id: 'a',
          disconnectTime: '2026-11-28T10:05:00.000Z',
          status: expect.objectContaining({ lastUpdateTime: '2026-11-28T10:00:00.200Z' }),
        }),
        expect.objectContaining({
          id: 'b',
          status: expect.objectContaining({ lastUpdateTime: '2026-11-28T10:06:00.000Z' }),
        }),
      ],
      mTLS: {
        certificateExpirationTime: '2026-11-28T11:00:00.000Z',
        lastCertificateRegeneration: '2026-11-28T10:00:00.200Z',
        certificateRegenerations: 1,
        issuedBackend: 'ca-1',
        supportedBackends: ['ca-1'],
      },
    });
    expect(JSON.stringify(view)).not.toMatch(/countedSerials|certificateNotBefore/);
  });

  it('prints a MeshInsight as Kuma does: zero counts and empty maps left out, messages kept', () => {
    const view = meshInsightView(meshInsightOf([], new Map(), {}));
    expect(view).toEqual({
      dataplanes: {},
      dpVersions: {},
      mTLS: {},
      services: {},
      dataplanesByType: { standard: {}, gateway: {}, gatewayBuiltin: {}, gatewayDelegated: {} },
    });
    expect(Object.keys(view)).toEqual(['dataplanes', 'dpVersions', 'mTLS', 'services', 'dataplanesByType']);
  });

  it('orders map keys and shows only counts that are not zero', () => {
    const online = withConnected(EMPTY_INSIGHT, stream('x', '2026-11-28T10:00:00Z'))!;
    const view = meshInsightView(
      meshInsightOf(
        [
          {
            name: 'b',
            spec: {
              networking: { address: '1.1.1.1', inbound: [{ port: 1, tags: { 'kuma.io/service': 'web' } }] },
            },
          },
          {
            name: 'a',
            spec: {
              networking: { address: '1.1.1.2', inbound: [{ port: 1, tags: { 'kuma.io/service': 'web' } }] },
            },
          },
        ],
        new Map([['a', online]]),
        { MeshTrafficPermission: 1 },
      ),
    );
    expect(view).toEqual({
      dataplanes: { total: 2, online: 1, offline: 1 },
      policies: { MeshTrafficPermission: { total: 1 } },
      dpVersions: {
        kumaDp: { unknown: { total: 2, online: 1, offline: 1 } },
        envoy: { unknown: { total: 2, online: 1, offline: 1 } },
      },
      mTLS: {},
      services: { total: 1, internal: 1 },
      dataplanesByType: {
        standard: { total: 2, online: 1, offline: 1 },
        gateway: {},
        gatewayBuiltin: {},
        gatewayDelegated: {},
      },
      resources: { Dataplane: { total: 2 }, MeshTrafficPermission: { total: 1 } },
    });
    expect(Object.keys(view.resources as object)).toEqual(['Dataplane', 'MeshTrafficPermission']);
  });
});
