import { readFileSync } from 'node:fs';
import { createClient } from 'redis';
import {
  DataplaneProcess,
  OpensslWorkspace,
  Topology,
  dataplaneToken,
  eventually,
  tempDir,
  type Replica,
  type TempDir,
} from '@meshtls/testing';
import { http } from '../support/cli';

describe('dataplane identity (distributed: two mesh-api replicas, scheduler, Redis leases)', () => {
  let topology: Topology;
  let dir: TempDir;
  let openssl: OpensslWorkspace;
  let dp: DataplaneProcess;
  let apis: Replica[];

  const admin = (method: string, url: string, body: object) =>
    http(method, url, {
      body: JSON.stringify(body),
      contentType: 'application/json',
      token: topology.adminToken,
    });

  beforeAll(async () => {
    [topology, dir] = await Promise.all([
      Topology.start(
        { 'mesh-api': 2, 'ca-signer': 1, 'rotation-scheduler': 1, 'stats-collector': 2 },
        { MESH_ROTATION_INTERVAL_MS: '200', MESH_DP_LEASE_CHECK_MS: '300' },
      ),
      tempDir('meshtls-e2e-dpd-'),
    ]);
    openssl = new OpensslWorkspace();
    apis = topology.of('mesh-api');
    const mesh = await admin('PUT', `${apis[0]!.url}/meshes/prod`, {
      type: 'Mesh',
      name: 'prod',
      mtls: {
        enabledBackend: 'ca-1',
        backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '6s' } } }],
      },
    });
    expect(mesh.status).toBe(201);
    dp = await DataplaneProcess.start({
      dir: dir.path,
      mesh: 'prod',
      name: 'pay-1',
      service: 'payments',
      token: await dataplaneToken(apis[1]!.url, 'prod', 'pay-1', topology.adminToken),
      cpAddresses: apis.map((a) => a.dpAddress!),
      caFile: topology.dpCaFile,
    });
  });

  afterAll(async () => {
    await dp?.stop();
    await topology?.stop();
    await dir?.remove();
    openssl?.close();
  });

  it('connects through either replica and keeps a lease in Redis with no key material', async () => {
    const view = await dp.waitFor((v) => v.ready);
    expect(view.identity).toMatchObject({
      backend: 'ca-1',
      uris: ['spiffe://prod/payments', 'kuma://kuma.io/service/payments'],
    });
    const redis = createClient({ url: topology.redis.url });
    await redis.connect();
    try {
      const keys = await redis.keys('*');
      const leaseKey = keys.find((k) => k.includes('lease:prod:pay-1'));
      expect(leaseKey).toBeDefined();
      const lease = JSON.parse((await redis.get(leaseKey!))!);
      expect(lease).toMatchObject({
        mesh: 'prod',
        dataplane: 'pay-1',
        backend: 'ca-1',
        supportedBackends: ['ca-1'],
      });
      expect(lease.controlPlaneInstance).toMatch(/^mesh-api-[12]@/);
      // The lease expires with the certificate.
      const ttl = await redis.pTTL(leaseKey!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(Date.parse(lease.notAfter) - Date.now() + 1000);
      for (const key of keys) {
        const type = await redis.type(key);
        const values =
          type === 'string' ? [await redis.get(key)] : type === 'zset' ? await redis.zRange(key, 0, -1) : [];
        for (const value of values) expect(value ?? '').not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
      }
    } finally {
      await redis.close();
    }
  });

  it('is rotated by the rotation scheduler through the replica that holds the stream', async () => {
    const first = await dp.view();
    const rotated = await dp.waitFor((v) => v.identity?.serial !== first.identity?.serial, 15_000);
    expect(rotated.identity!.reason).toBe('rotation');
    expect(rotated.controlPlane).toBe(first.controlPlane);
    const cert = readFileSync(`${dp.certDir}/cert.pem`, 'utf8');
    openssl.write('bundle.pem', readFileSync(`${dp.certDir}/ca.pem`, 'utf8'));
    openssl.write('leaf.pem', cert);
    expect(openssl.run('verify', '-CAfile', 'bundle.pem', 'leaf.pem')).toContain('OK');
  });

  it('gets its lease back when Redis loses its data, and keeps rotating, without a new certificate for it', async () => {
    const before = await dp.view();
    const redis = createClient({ url: topology.redis.url });
    await redis.connect();
    try {
      await redis.flushAll(); // as a Redis restarted without persistence
      await eventually(async () => {
        const key = (await redis.keys('*')).find((k) => k.includes('lease:prod:pay-1'));
        expect(key).toBeDefined();
        expect(JSON.parse((await redis.get(key!))!).serial).toBe(before.identity!.serial);
      }, 5_000);
    } finally {
      await redis.close();
    }
    // Restored, not re-issued: the next certificate comes from the rotation of the restored lease.
    const next = await dp.waitFor((v) => v.identity?.serial !== before.identity!.serial, 15_000);
    expect(next.identity!.reason).toBe('rotation');
  });

  it('moves to the other replica when its replica is killed, and gets a new certificate there', async () => {
    const before = await dp.view();
    const holder = apis.find((a) => a.dpAddress === before.controlPlane)!;
    const other = apis.find((a) => a !== holder)!;
    process.kill(holder.process.pid, 'SIGKILL');
    // Still ready while it reconnects: it keeps serving its certificate.
    expect((await dp.view()).ready).toBe(true);
    const after = await dp.waitFor(
      (v) => v.controlPlane === other.dpAddress && v.identity?.reason === 'reconnect',
      20_000,
    );
    expect(after.identity!.serial).not.toBe(before.identity!.serial);
    // And it keeps rotating there.
    const next = await dp.waitFor((v) => v.identity?.serial !== after.identity!.serial, 15_000);
    expect(next.identity!.reason).toBe('rotation');
    expect(next.controlPlane).toBe(other.dpAddress);
  });

  it('keeps an insight that counts exactly the certificates the dataplane got, through the replica kill', async () => {
    await dp.stop();
    // Every certificate the dataplane received, as it logged them.
    const serials = new Set(
      [...dp.process.logs.matchAll(/certificate ([0-9A-F]+) from backend/g)].map((m) => m[1]),
    );
    expect(serials.size).toBeGreaterThanOrEqual(4); // new, rotation, reconnect, rotation
    // One replica was killed: ask whichever answers.
    const overview = async () => {
      for (const api of apis) {
        const r = await http('GET', `${api.url}/meshes/prod/dataplanes+insights/pay-1`).catch(
          () => undefined,
        );
        if (r?.status === 200) return r.json;
      }
      throw new Error('no mesh-api replica answers');
    };
    await eventually(async () => {
      const insight = (await overview()).dataplaneInsight;
      expect(insight.mTLS.certificateRegenerations).toBe(serials.size);
      expect(insight.subscriptions).toHaveLength(2);
      // The killed replica never said its stream ended; the newer stream closed it, the stop the other.
      expect(insight.subscriptions.every((s: { disconnectTime?: string }) => s.disconnectTime)).toBe(true);
      expect(
        new Set(
          insight.subscriptions.map(
            (s: { controlPlaneInstanceId: string }) => s.controlPlaneInstanceId.split('@')[0],
          ),
        ).size,
      ).toBe(2);
    }, 10_000);
  });
});
