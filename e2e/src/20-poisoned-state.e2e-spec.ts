import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as natsConnect, type KV, type NatsConnection } from 'nats';
import { createClient } from 'redis';
import {
  DataplaneProcess,
  Topology,
  dataplaneToken,
  eventually,
  tempDir,
  type Replica,
  type TempDir,
} from '@meshtls/testing';
import { http } from '../support/cli';

/** What `/health/ready` answers. */
interface Readiness {
  readonly status: number;
  readonly degradations: { source: string; reason: string }[];
}

const SECRET_LOOKING = 'cG9pc29uZWQtc3BlYy12YWx1ZS1uZXZlci1sb2dnZWQ';

/**
 * The distributed deployment with its shared state poisoned the way a holder of a role's NATS or Redis
 * credentials could: values written straight into the resource bucket and Redis, around the API. Every
 * process stays up, says which key is bad in its readiness (503) and its logs (never the value), and
 * the dataplanes whose state is intact keep rotating; rewriting or deleting the bad keys makes the
 * processes ready again.
 */
describe('poisoned state: the KV bucket and Redis hold values that do not decode', () => {
  let topology: Topology;
  let dir: TempDir;
  let nc: NatsConnection;
  let kv: KV;
  let redis: ReturnType<typeof createClient>;
  let pay1: DataplaneProcess;
  let pay2: DataplaneProcess;
  const text = new TextEncoder();

  const api = () => topology.of('mesh-api')[0]!;
  const admin = (method: string, path: string, body: object) =>
    http(method, `${api().url}${path}`, {
      body: JSON.stringify(body),
      contentType: 'application/json',
      token: topology.adminToken,
    });
  const readiness = async (replica: Replica): Promise<Readiness> => {
    const response = await fetch(`${replica.url}/health/ready`);
    const body = (await response.json()) as { degradations?: Readiness['degradations'] };
    return { status: response.status, degradations: body.degradations ?? [] };
  };
  const degradedBy = async (replica: Replica) => (await readiness(replica)).degradations.map((d) => d.source);
  const everyProcessLive = async () => {
    for (const replica of topology.replicas) {
      const live = await fetch(`${replica.url}/health/live`);
      expect({ replica: replica.instanceId, status: live.status }).toEqual({
        replica: replica.instanceId,
        status: 200,
      });
    }
  };
  /** Waits for `dp` to hold a certificate other than `serial`: it was rotated (or re-issued). */
  const nextCertificate = (dp: DataplaneProcess, serial: string) =>
    dp.waitFor((v) => v.identity !== null && v.identity.serial !== serial, 20_000);

  beforeAll(async () => {
    [topology, dir] = await Promise.all([
      Topology.start(
        { 'mesh-api': 1, 'ca-signer': 1, 'rotation-scheduler': 1, 'stats-collector': 1 },
        { MESH_ROTATION_INTERVAL_MS: '200', MESH_ROTATION_CLAIM_TTL_MS: '1000' },
      ),
      tempDir('meshtls-e2e-poisoned-'),
    ]);
    const mesh = await admin('PUT', '/meshes/prod', {
      type: 'Mesh',
      name: 'prod',
      mtls: {
        enabledBackend: 'ca-1',
        backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '10s' } } }],
      },
    });
    expect(mesh.status).toBe(201);
    const start = async (name: string) =>
      DataplaneProcess.start({
        dir: dir.path,
        mesh: 'prod',
        name,
        service: 'payments',
        token: await dataplaneToken(api().url, 'prod', name, topology.adminToken),
        cpAddresses: [api().dpAddress!],
        caFile: topology.dpCaFile,
      });
    [pay1, pay2] = await Promise.all([start('pay-1'), start('pay-2')]);
    await Promise.all([pay1.waitFor((v) => v.identity !== null), pay2.waitFor((v) => v.identity !== null)]);
    // mesh-api's user may write every resource: what a compromised mesh-api (or its password) can do.
    nc = await natsConnect({ servers: topology.natsUrls, ...topology.natsUser('mesh-api') });
    kv = await nc.jetstream().views.kv('mesh-resources');
    redis = createClient({ url: topology.redis.url });
    await redis.connect();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([pay1?.stop(), pay2?.stop()]);
    await redis?.close().catch(() => undefined);
    await nc?.close();
    await topology?.stop();
    await dir?.remove();
  });

  it('a value that is not JSON: every role stays up and is not ready, naming the key; a role started now starts', async () => {
    await kv.put('Mesh.poisoned', text.encode(`not-json{${SECRET_LOOKING}`));
    await eventually(async () => {
      for (const replica of topology.replicas) {
        const ready = await readiness(replica);
        expect(ready.status).toBe(503);
        expect(ready.degradations).toContainEqual({
          source: 'kv:Mesh/poisoned',
          reason: 'kv Mesh/poisoned: value is not JSON',
          since: expect.any(String),
        });
      }
    }, 10_000);
    // Before, a role restarting now waited for the bucket's content forever, silently.
    const late = await topology.startReplica('rotation-scheduler', 'rotation-scheduler-late');
    expect(await degradedBy(late)).toEqual(['kv:Mesh/poisoned']);
    await everyProcessLive();
    expect((await http('GET', `${api().url}/meshes/prod`)).status).toBe(200); // the API still answers
  });

  it('a Dataplane spec that does not validate, under a connected dataplane: mesh-api stays up and never applies it', async () => {
    // Just after a rotation, so the rotation that would need the Dataplane is seconds away.
    const fresh = await nextCertificate(pay2, (await pay2.view()).identity!.serial);
    const envelope = (spec: unknown) =>
      JSON.stringify({
        format: 1,
        spec,
        creationTime: '2026-06-01T00:00:00.000Z',
        modificationTime: '2026-06-01T00:00:00.000Z',
      });
    await kv.put('Dataplane.prod.pay-2', text.encode(envelope({ networking: 42, extra: SECRET_LOOKING })));
    await eventually(async () => {
      const ready = await readiness(api());
      expect(ready.status).toBe(503);
      expect(ready.degradations).toContainEqual({
        source: 'kv:Dataplane/prod/pay-2',
        reason: 'kv Dataplane/prod/pay-2: spec does not validate at extra, networking',
        since: expect.any(String),
      });
    }, 10_000);
    await everyProcessLive();
    // Read from the process's output pipe, which may lag what its readiness already says.
    await eventually(
      async () =>
        expect(api().process.logs).toMatch(
          /skipped kv value Dataplane\/prod\/pay-2 \(Dataplane\): spec does not validate at extra, networking/,
        ),
      10_000,
    );
    // The stream was not ended: the last good Dataplane stays in effect for it.
    expect((await pay2.view()).identity?.serial).toBe(fresh.identity!.serial);

    // It reads as absent, so applying the Dataplane again is how an operator replaces the bad value.
    const put = await http('PUT', `${api().url}/meshes/prod/dataplanes/pay-2`, {
      body: readFileSync(join(dir.path, 'pay-2.yaml')), // what the sidecar was started with
      contentType: 'application/yaml',
      token: topology.adminToken,
    });
    expect(put.status).toBe(201);
    await eventually(async () => {
      for (const replica of topology.replicas) {
        expect(await degradedBy(replica)).not.toContain('kv:Dataplane/prod/pay-2');
      }
    }, 10_000);
    await nextCertificate(pay2, fresh.identity!.serial);
  }, 60_000);

  it('a lease that is not JSON: the scheduler stays up and not ready, and the other leases keep rotating', async () => {
    const key = 'mesh:lease:prod:ghost';
    await redis.set(key, `not-json{${SECRET_LOOKING}`);
    await redis.zAdd('mesh:due', { score: Date.now() - 1000, value: 'prod:ghost' });
    const schedulers = topology.of('rotation-scheduler');
    await eventually(async () => {
      const met = await Promise.all(
        schedulers.map(async (s) => (await degradedBy(s)).includes(`redis:${key}`)),
      );
      expect(met).toContain(true);
    }, 10_000);
    // Out of the due set, so no pass meets it again; the key is left for an operator to look at. The
    // pass reports it while reading and takes it out after its scan: waited for, not read at once.
    await eventually(async () => expect(await redis.zScore('mesh:due', 'prod:ghost')).toBeNull(), 10_000);
    const serial = (await pay1.view()).identity!.serial;
    const rotated = await nextCertificate(pay1, serial);
    expect(rotated.identity!.reason).toBe('rotation');
    await nextCertificate(pay1, rotated.identity!.serial);
    await everyProcessLive();
    const logs = schedulers.map((s) => s.process.logs).join('\n');
    expect(logs).toContain(`skipped redis value ${key} (lease): value is not JSON`);
    const counted = await Promise.all(
      schedulers.map(async (s) => {
        const metrics = await (await fetch(`${s.url}/metrics`)).text();
        return Number(
          /^mesh_store_values_rejected_total\{source="redis",type="lease"[^}]*\} (\d+)$/m.exec(
            metrics,
          )?.[1] ?? 0,
        );
      }),
    );
    // Every scheduler reads the due set: more than one may meet the value before it leaves the set, and
    // each counts it once.
    expect(counted.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    for (const c of counted) expect(c).toBeLessThanOrEqual(1);
  }, 60_000);

  it('is ready everywhere again once the bad keys are deleted, and never wrote a bad value to a log', async () => {
    await kv.delete('Mesh.poisoned');
    await redis.del('mesh:lease:prod:ghost');
    await eventually(async () => {
      for (const replica of topology.replicas) {
        expect({ replica: replica.instanceId, ...(await readiness(replica)) }).toEqual({
          replica: replica.instanceId,
          status: 200,
          degradations: [],
        });
      }
    }, 10_000);
    for (const replica of topology.replicas) expect(replica.process.logs).not.toContain(SECRET_LOOKING);
    await nextCertificate(pay2, (await pay2.view()).identity!.serial);
  }, 30_000);
});
