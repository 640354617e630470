import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCoreConfig } from '@meshtls/nest-core';
import { loadDpServerConfig } from '../dataplanes/dp-server.config';
import {
  clusterId,
  configForDisplay,
  indexBody,
  productVersion,
  resourceTypeDescriptions,
} from './control-plane-index';

const SECRETS = {
  MESH_ADMIN_TOKEN: 'admin-token-value-0123456789',
  MESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  MESH_NATS_USER: 'mesh-api',
  MESH_NATS_PASSWORD: 'nats-password-value',
  MESH_REDIS_USERNAME: 'leases',
  MESH_REDIS_PASSWORD: 'redis-password-value',
};

function distributed(env: Record<string, string> = {}) {
  return loadCoreConfig(
    {
      MESH_MODE: 'distributed',
      MESH_NATS_URL: 'nats://127.0.0.1:4222',
      MESH_REDIS_URL: 'redis://127.0.0.1:6379',
      ...SECRETS,
      ...env,
    },
    { mode: 'distributed', port: 5681, role: 'mesh-api' },
  );
}

const role = { dpServer: loadDpServerConfig({}), defaultMesh: { skip: false } };

describe('the index (GET /)', () => {
  it("has every field kumactl's IndexResponse reads, as strings", () => {
    const body = indexBody({ hostname: 'h', version: '1.2.3', instanceId: 'i', clusterId: 'c' });
    expect(body).toEqual({
      hostname: 'h',
      tagline: 'meshtls 1.2.3, Kuma 2.14.3 API',
      product: 'Kuma',
      version: '2.14.3',
      instanceId: 'i',
      clusterId: 'c',
      gui: '',
      basedOnKuma: '2.14.3',
      meshtls: { product: 'meshtls', version: '1.2.3' },
    });
  });

  it('reads the version of the meshtls package.json above it, not of another package', () => {
    const root = mkdtempSync(join(tmpdir(), 'meshtls-version-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'meshtls', version: '9.8.7' }));
    const inner = join(root, 'dist', 'libs', 'x');
    mkdirSync(inner, { recursive: true });
    writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ name: 'other', version: '0.0.1' }));
    expect(productVersion(inner)).toBe('9.8.7');
    expect(productVersion(tmpdir())).toBe('unknown');
    const repo = JSON.parse(readFileSync(join(__dirname, '../../../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(productVersion()).toBe(repo.version);
  });

  it('gives replicas sharing a store one cluster id, in the form of a UUID', () => {
    const a = clusterId(distributed({ MESH_INSTANCE_ID: 'a' }));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(clusterId(distributed({ MESH_INSTANCE_ID: 'b', MESH_NATS_URL: 'nats://10.0.0.2:4222' }))).toBe(a);
    expect(clusterId(distributed({ MESH_KV_BUCKET: 'other' }))).not.toBe(a);
    const standalone = (dir: string) =>
      clusterId(loadCoreConfig({ MESH_DATA_DIR: dir }, { mode: 'standalone', port: 5681, role: 'cp' }));
    expect(standalone('/data/one')).toBe(standalone('/data/one'));
    expect(standalone('/data/one')).not.toBe(standalone('/data/two'));
  });
});

describe('the configuration (GET /config)', () => {
  it('shows no credential: tokens, keys, passwords, URL user parts', () => {
    const core = distributed({
      MESH_NATS_URL: 'nats://u:nats-url-secret@127.0.0.1:4222',
      MESH_REDIS_URL: 'redis://x:redis-url-secret@127.0.0.1:6379',
    });
    const text = JSON.stringify(configForDisplay(core, role));
    for (const value of [
      ...Object.values(SECRETS).slice(0, 2),
      'nats-password-value',
      'redis-password-value',
    ]) {
      expect(text).not.toContain(value);
    }
    expect(text).not.toContain('nats-url-secret');
    expect(text).not.toContain('redis-url-secret');
    const shown = configForDisplay(core, role) as {
      store: { nats: Record<string, unknown>; redis: Record<string, unknown>; secretKey: string };
      apiServer: { auth: { adminToken: string } };
    };
    expect(shown.store.nats).toMatchObject({
      servers: ['nats://*****@127.0.0.1:4222'],
      user: 'mesh-api',
      password: '*****',
    });
    expect(shown.store.redis).toMatchObject({ url: 'redis://*****@127.0.0.1:6379', password: '*****' });
    expect(shown.store.secretKey).toBe('*****');
    expect(shown.apiServer.auth.adminToken).toBe('*****');
  });

  it("lays settings out under Kuma's keys", () => {
    const core = loadCoreConfig(
      { MESH_DATA_DIR: '/var/lib/meshtls', MESH_HTTP_PORT: '5681' },
      { mode: 'standalone', port: 5681, role: 'control-plane' },
    );
    const shown = configForDisplay(core, { ...role, defaultMesh: { skip: true } });
    expect(shown).toMatchObject({
      environment: 'universal',
      mode: 'zone',
      general: { workDir: '/var/lib/meshtls' },
      store: { type: 'sqlite' },
      apiServer: { http: { enabled: true, interface: '127.0.0.1', port: 5681 } },
      dpServer: { port: 5678, tlsCertFile: '', tlsKeyFile: '' },
      defaults: { skipMeshCreation: true },
      meshtls: { runMode: 'standalone' },
    });
    expect(JSON.stringify(shown)).not.toContain('adminToken":"');
  });
});

describe('the resource types (GET /_resources)', () => {
  it('lists each type under the name and path kumactl knows, sorted by name', () => {
    const { resources } = resourceTypeDescriptions();
    expect(resources.map((r) => `${r.name} ${r.scope} /${r.path}`)).toEqual([
      'Dataplane Mesh /dataplanes',
      'DataplaneInsight Mesh /dataplane-insights',
      'GlobalSecret Global /globalsecrets',
      'Mesh Global /meshes',
      'MeshTrafficPermission Mesh /meshtrafficpermissions',
      'Secret Mesh /secrets',
    ]);
    expect(resources.find((r) => r.name === 'MeshTrafficPermission')?.policy).toMatchObject({
      isTargetRef: true,
      hasFromTargetRef: true,
    });
    expect(resources.find((r) => r.name === 'DataplaneInsight')).toMatchObject({
      readOnly: true,
      includeInFederation: false,
    });
  });
});
