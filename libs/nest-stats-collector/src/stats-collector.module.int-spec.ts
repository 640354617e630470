import { Test, type TestingModule } from '@nestjs/testing';
import { dataplaneCertificateIssued, dataplaneConnection } from '@meshtls/contracts';
import { ResourceType, type DataplaneInsightSpec } from '@meshtls/domain';
import { CoreModule, MESSAGE_BUS, METRICS, RESOURCE_STORE, loadCoreConfig } from '@meshtls/nest-core';
import type { MessageBus, ResourceStore } from '@meshtls/store';
import { eventually, tempDir, type TempDir } from '@meshtls/testing';
import type { Registry } from 'prom-client';
import { StatsCollectorModule } from './stats-collector.module';

const insightKey = { type: ResourceType.DataplaneInsight, mesh: 'default', name: 'web-1' } as const;
const NOT_AFTER = '2026-06-02T12:00:00.000Z';

/**
 * What StatsCollectorModule wires, with CoreModule's real standalone adapters (the embedded SQLite store
 * and the in-process bus): mesh-api's events consumed into DataplaneInsights, insights removed with their
 * Dataplane, and its metrics in the process registry. The tests run in order: the second deletes the
 * Dataplane whose insight the first recorded.
 */
describe('StatsCollectorModule', () => {
  let dir: TempDir;
  let app: TestingModule;
  let bus: MessageBus;
  let store: ResourceStore;
  let metrics: Registry;

  beforeAll(async () => {
    dir = await tempDir('meshtls-stats-collector-');
    const config = loadCoreConfig(
      { MESH_DATA_DIR: dir.path, MESH_LOG_LEVEL: 'silent' },
      { mode: 'standalone', port: 0, role: 'stats-collector' },
    );
    app = await Test.createTestingModule({
      imports: [CoreModule.forRoot({ config, roles: ['stats-collector'] }), StatsCollectorModule],
    }).compile();
    app.useLogger(false);
    await app.init();
    bus = app.get(MESSAGE_BUS);
    store = app.get(RESOURCE_STORE);
    metrics = app.get(METRICS);
  });

  afterAll(async () => {
    await app?.close();
    await dir?.remove();
  });

  it('turns connection and certificate events into the dataplane insight, and counts them', async () => {
    await store.create({ type: ResourceType.Mesh, name: 'default' }, {});
    await store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' }, {});
    const at = '2026-06-01T12:00:00.000Z';
    await bus.publish(dataplaneConnection, {
      mesh: 'default',
      dataplane: 'web-1',
      streamId: 's-1',
      controlPlaneInstance: 'mesh-api-1',
      kind: 'connected',
      connectTime: at,
    });
    await bus.publish(dataplaneCertificateIssued, {
      mesh: 'default',
      dataplane: 'web-1',
      serial: 'aa01',
      reason: 'new',
      backend: 'ca-1',
      notBefore: at,
      notAfter: NOT_AFTER,
      supportedBackends: ['ca-1'],
      time: at,
      controlPlaneInstance: 'mesh-api-1',
      withdrawn: false,
    });

    await eventually(async () => {
      const insight = (await store.get(insightKey))?.spec as DataplaneInsightSpec | undefined;
      expect(insight?.subscriptions).toEqual([
        expect.objectContaining({ id: 's-1', controlPlaneInstanceId: 'mesh-api-1', connectTime: at }),
      ]);
      expect(insight?.mTLS).toMatchObject({
        issuedBackend: 'ca-1',
        certificateExpirationTime: NOT_AFTER,
        certificateRegenerations: 1,
      });
    }, 10_000);

    // Counted once the insight is written (the fleet gauges are read only now: they cache for 15 s).
    await eventually(async () => {
      const events = await metrics.getSingleMetricAsString('mesh_insight_events_total');
      expect(events).toMatch(/^mesh_insight_events_total\{event="connection",roles="stats-collector"\} 1$/m);
      expect(events).toMatch(/^mesh_insight_events_total\{event="certificate",roles="stats-collector"\} 1$/m);
    });
    const text = await metrics.metrics();
    expect(text).toMatch(/^mesh_dataplanes_with_certificate\{mesh="default",roles="stats-collector"\} 1$/m);
    expect(text).toContain(
      `mesh_dataplane_certificate_earliest_expiration_timestamp_seconds{mesh="default",roles="stats-collector"} ${Date.parse(NOT_AFTER) / 1000}\n`,
    );
  });

  it('removes the insight when its Dataplane is deleted', async () => {
    expect(await store.get(insightKey)).toBeDefined();
    await store.delete({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' });
    await eventually(async () => expect(await store.get(insightKey)).toBeUndefined(), 10_000);
  });
});
