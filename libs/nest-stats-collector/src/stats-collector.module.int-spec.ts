import type { TestingModule } from '@nestjs/testing';
import { dataplaneCertificateIssued, dataplaneConnection } from '@meshtls/contracts';
import { ResourceType, type DataplaneInsightSpec } from '@meshtls/domain';
import { randomBytes } from 'node:crypto';
import { connect as natsConnect, type NatsConnection } from 'nats';
import { HEALTH_DEGRADATIONS, HealthDegradations, loadCoreConfig, type CoreConfig } from '@meshtls/nest-core';
import type { MessageBus } from '@meshtls/bus';
import type { ResourceStore } from '@meshtls/store';
import {
  eventually,
  startNatsServer,
  startRedisServer,
  tempDir,
  type NatsServerHandle,
  type RedisServerHandle,
  type TempDir,
} from '@meshtls/testing';
import type { Registry } from 'prom-client';
import { startRoleModules, startStandaloneRole, type StandaloneRole } from '@meshtls/nest-core/testing';
import { StatsCollectorModule } from './stats-collector.module';

const insightKey = { type: ResourceType.DataplaneInsight, mesh: 'default', name: 'web-1' } as const;
const NOT_AFTER = '2026-06-02T12:00:00.000Z';

/** StatsCollectorModule on CoreModule's adapters for `config`, started, with what the tests use. */
const startCollector = (config: CoreConfig) =>
  startRoleModules(config, 'stats-collector', [StatsCollectorModule]);

/**
 * What StatsCollectorModule wires, with CoreModule's real standalone adapters (the embedded SQLite store
 * and the in-process bus): mesh-api's events consumed into DataplaneInsights, insights removed with their
 * Dataplane, and its metrics in the process registry. The tests run in order: the second deletes the
 * Dataplane whose insight the first recorded.
 */
describe('StatsCollectorModule', () => {
  let role: StandaloneRole;

  beforeAll(async () => {
    role = await startStandaloneRole('stats-collector', [StatsCollectorModule]);
  });

  afterAll(() => role?.close());

  it('turns connection and certificate events into the dataplane insight, and counts them', async () => {
    await role.store.create({ type: ResourceType.Mesh, name: 'default' }, {});
    await role.store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' }, {});
    const at = '2026-06-01T12:00:00.000Z';
    await role.bus.publish(dataplaneConnection, {
      mesh: 'default',
      dataplane: 'web-1',
      streamId: 's-1',
      controlPlaneInstance: 'mesh-api-1',
      kind: 'connected',
      connectTime: at,
    });
    await role.bus.publish(dataplaneCertificateIssued, {
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
      const insight = (await role.store.get(insightKey))?.spec as DataplaneInsightSpec | undefined;
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
      const events = await role.metrics.getSingleMetricAsString('mesh_insight_events_total');
      expect(events).toMatch(/^mesh_insight_events_total\{event="connection",roles="stats-collector"\} 1$/m);
      expect(events).toMatch(/^mesh_insight_events_total\{event="certificate",roles="stats-collector"\} 1$/m);
    });
    const text = await role.metrics.metrics();
    expect(text).toMatch(/^mesh_dataplanes_with_certificate\{mesh="default",roles="stats-collector"\} 1$/m);
    expect(text).toContain(
      `mesh_dataplane_certificate_earliest_expiration_timestamp_seconds{mesh="default",roles="stats-collector"} ${Date.parse(NOT_AFTER) / 1000}\n`,
    );
  });

  it('removes the insight when its Dataplane is deleted', async () => {
    expect(await role.store.get(insightKey)).toBeDefined();
    await role.store.delete({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' });
    await eventually(async () => expect(await role.store.get(insightKey)).toBeUndefined(), 10_000);
  });
});

/**
 * The same module with the distributed adapters (NATS KV, the JetStream event stream, Redis), fed what
 * a client with write access to NATS could put there around the contracts: an event that is not one, an
 * insight that is not one. Each is skipped, counted and reported by readiness; the work goes on.
 */
describe('StatsCollectorModule distributed, with values that do not decode', () => {
  let nats: NatsServerHandle;
  let redis: RedisServerHandle;
  let dir: TempDir;
  let app: TestingModule;
  let raw: NatsConnection;
  let bus: MessageBus;
  let store: ResourceStore;
  let metrics: Registry;
  let degradations: HealthDegradations;
  const connected = (streamId: string, connectTime: string) => ({
    mesh: 'default',
    dataplane: 'web-1',
    streamId,
    controlPlaneInstance: 'mesh-api-1',
    kind: 'connected' as const,
    connectTime,
  });
  const rejectedCount = async (source: string, type: string) => {
    const text = await metrics.getSingleMetricAsString('mesh_store_values_rejected_total');
    const line = text
      .split('\n')
      .find((l) => l.includes(`source="${source}"`) && l.includes(`type="${type}"`));
    return Number(line?.split(' ').at(-1) ?? 0);
  };

  beforeAll(async () => {
    [nats, redis, dir] = await Promise.all([
      startNatsServer(),
      startRedisServer(),
      tempDir('meshtls-stats-'),
    ]);
    const config = loadCoreConfig(
      {
        MESH_NATS_URL: nats.url,
        MESH_REDIS_URL: redis.url,
        MESH_SECRET_KEY: randomBytes(32).toString('base64'),
        MESH_ADMIN_TOKEN: randomBytes(16).toString('hex'),
        MESH_DATA_DIR: dir.path,
        MESH_LOG_LEVEL: 'silent',
      },
      { mode: 'distributed', port: 0, role: 'stats-collector' },
    );
    ({ app, bus, store, metrics } = await startCollector(config));
    degradations = app.get(HEALTH_DEGRADATIONS);
    raw = await natsConnect({ servers: nats.url });
    await bus.retain([dataplaneConnection] as never);
    await store.create({ type: ResourceType.Mesh, name: 'default' }, {});
    await store.create(
      { type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' },
      { networking: { address: '10.0.0.1', inbound: [{ port: 80, tags: { 'kuma.io/service': 'web' } }] } },
    );
  }, 30_000);

  afterAll(async () => {
    await raw?.close();
    await app?.close();
    await Promise.all([nats?.stop(), redis?.stop(), dir?.remove()]);
  });

  it('skips an event that is not one, counts it, is degraded until the next valid event is handled', async () => {
    await raw.jetstream().publish(dataplaneConnection.subject, new TextEncoder().encode('{"mesh":42}'));
    await eventually(() =>
      expect(degradations.list().map((d) => d.source)).toEqual([`stream:${dataplaneConnection.subject}`]),
    );
    expect(await rejectedCount('stream', dataplaneConnection.subject)).toBe(1);
    expect(degradations.list()[0]!.reason).toMatch(/event does not match its schema \(mesh: /);

    await bus.publish(dataplaneConnection, connected('s-1', '2026-06-01T12:00:00.000Z'));
    await eventually(async () =>
      expect(((await store.get(insightKey))?.spec as DataplaneInsightSpec)?.subscriptions).toHaveLength(1),
    );
    await eventually(() => expect(degradations.size).toBe(0));
  });

  it('skips an insight that is not one, and replaces it with the next event', async () => {
    const kv = await raw.jetstream().views.kv('mesh-resources');
    const at = '2026-06-01T12:30:00.000Z';
    const bad = { format: 1, spec: { subscriptions: 42 }, creationTime: at, modificationTime: at };
    await kv.put('DataplaneInsight.default.web-1', new TextEncoder().encode(JSON.stringify(bad)));
    await eventually(() =>
      expect(degradations.list().map((d) => d.source)).toEqual(['kv:DataplaneInsight/default/web-1']),
    );
    expect(await store.get(insightKey)).toBeUndefined();
    expect(await rejectedCount('kv', 'DataplaneInsight')).toBe(1);

    await bus.publish(dataplaneConnection, connected('s-2', '2026-06-01T13:00:00.000Z'));
    await eventually(async () =>
      expect(((await store.get(insightKey))?.spec as DataplaneInsightSpec)?.subscriptions).toEqual([
        expect.objectContaining({ id: 's-2' }),
      ]),
    );
    expect(degradations.size).toBe(0);
  });
});
