import { connect, type NatsConnection } from 'nats';
import { http, meshctl } from '../support/cli';
import { CONTROL_PLANE_ROLES, Topology } from '@meshtls/testing';

const MESH = JSON.stringify({
  type: 'Mesh',
  name: 'payments',
  mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
});

describe('distributed control plane (NATS, Redis, two replicas of every role)', () => {
  let topology: Topology;
  let a: string;
  let b: string;

  beforeAll(async () => {
    topology = await Topology.start(2);
    [a, b] = topology.of('mesh-api').map((r) => r.url);
  }, 90_000);

  afterAll(async () => {
    await topology?.stop();
  });

  it('runs every replica ready, each reaching its role over NATS', async () => {
    expect(topology.replicas).toHaveLength(CONTROL_PLANE_ROLES.length * 2);
    for (const replica of topology.replicas) {
      const health = await http('GET', `${replica.url}/health/ready`);
      expect({ replica: replica.instanceId, status: health.status, checks: health.json?.checks }).toEqual({
        replica: replica.instanceId,
        status: 200,
        checks: { store: 'ok', bus: 'ok', degradations: 'ok' },
      });
    }
  });

  it('shares each role ping between its two replicas (queue groups)', async () => {
    const nc: NatsConnection = await connect({
      servers: topology.nats.url,
      ...topology.natsUser('ca-signer'),
    });
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const reply = await nc.request('mesh.system.ping.ca-signer.v1', JSON.stringify({ from: 'e2e' }), {
          timeout: 2000,
        });
        const envelope = JSON.parse(new TextDecoder().decode(reply.data));
        expect(envelope.ok).toBe(true);
        seen.add(envelope.data.instance);
      }
      expect([...seen].sort()).toEqual(['ca-signer-1', 'ca-signer-2']);
    } finally {
      await nc.close();
    }
  });

  it('refuses changes without the admin token, and secret reads too', async () => {
    const anonymous = await http('PUT', `${a}/meshes/payments`, {
      body: MESH,
      contentType: 'application/json',
    });
    expect(anonymous.status).toBe(403);
    expect(anonymous.json).toMatchObject({ type: '/std-errors', status: 403 });
    const wrong = await http('PUT', `${a}/meshes/payments`, {
      body: MESH,
      contentType: 'application/json',
      token: 'x'.repeat(20),
    });
    expect(wrong.status).toBe(401);
    expect((await http('GET', `${a}/meshes/payments`)).status).toBe(404);
  });

  it('reads through one replica what was written through the other', async () => {
    const token = topology.adminToken;
    const put = await http('PUT', `${a}/meshes/payments`, {
      body: MESH,
      contentType: 'application/json',
      token,
    });
    expect(put.status).toBe(201);
    const got = await http('GET', `${b}/meshes/payments`);
    expect(got.status).toBe(200);
    expect(got.json.mtls.enabledBackend).toBe('ca-1');

    const secret = JSON.stringify({
      type: 'Secret',
      mesh: 'payments',
      name: 'db-password',
      data: 'aHVudGVyMg==',
    });
    expect(
      (
        await http('PUT', `${b}/meshes/payments/secrets/db-password`, {
          body: secret,
          contentType: 'application/json',
          token,
        })
      ).status,
    ).toBe(201);
    expect((await http('GET', `${a}/meshes/payments/secrets/db-password`)).status).toBe(403);
    const read = await http('GET', `${a}/meshes/payments/secrets/db-password`, { token });
    expect(read.json.data).toBe('aHVudGVyMg==');
  });

  it('works with meshctl against either replica with the token from the environment', async () => {
    const env = { MESHCTL_API_ADDRESS: b, MESHCTL_TOKEN: topology.adminToken };
    const applied = await meshctl(['apply', '-f', '-'], {
      env,
      stdin:
        'type: MeshTrafficPermission\nmesh: payments\nname: deny-all\nspec:\n  targetRef:\n    kind: Mesh\n  from:\n    - targetRef:\n        kind: Mesh\n      default:\n        action: Deny\n',
    });
    expect(applied.code).toBe(0);
    const listed = await meshctl(['get', 'mtp', '--mesh', 'payments', '-o', 'json'], {
      env: { MESHCTL_API_ADDRESS: a },
    });
    expect(JSON.parse(listed.stdout).items.map((i: { name: string }) => i.name)).toEqual(['deny-all']);
  });
});
