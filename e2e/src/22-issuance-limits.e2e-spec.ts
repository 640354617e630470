import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Metadata, credentials, status as GrpcStatus } from '@grpc/grpc-js';
import {
  MAX_TRAFFIC_PERMISSIONS,
  STREAM_END_TRAILER,
  addressedTo,
  dataplaneStreamMethod as m,
  rotateDataplane,
  type DataplaneClientMessage,
  type DataplaneServerMessage,
} from '@meshtls/contracts';
import { DataplaneAgent, grpcCredentials, type DataplaneIdentity } from '@meshtls/dataplane-agent';
import { ResourceType, type DataplaneInsightSpec } from '@meshtls/domain';
import { createCsr } from '@meshtls/pki';
import { NatsBus, connectNats } from '@meshtls/bus';
import { NatsKvResourceStore } from '@meshtls/store/adapters';
import { Topology, dataplaneToken, eventually, type Replica } from '@meshtls/testing';
import { systemClock } from '@meshtls/util';
import type { NatsConnection } from 'nats';
import { http } from '../support/cli';
import { metricSum } from '../support/traffic';

type Outcome = { messages: DataplaneServerMessage[]; code?: number; details?: string; reason?: string };

/**
 * Limits where an identity is at stake, against the distributed topology on the shipped secured bus:
 * replayed rotations from a client holding rotation-scheduler's credentials, a dataplane reconnecting in
 * a loop, two sidecars running with one name, a CSR whose signature does not verify, and more
 * MeshTrafficPermissions selecting one dataplane than its traffic message can carry. Default limits
 * (6 certificates a minute per dataplane, 6 at once); certificates of 30 days, never due here.
 */
describe('issuance limits (distributed, secured bus)', () => {
  let topology: Topology;
  let api: Replica;
  let caCertPem: string;
  const agents: DataplaneAgent[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  const admin = (method: string, path: string, body?: object) =>
    http(method, `${api.url}${path}`, {
      ...(body ? { body: JSON.stringify(body), contentType: 'application/json' } : {}),
      token: topology.adminToken,
    });
  const metrics = async () => (await fetch(`${api.url}/metrics`)).text();
  const dataplaneSpec = (service: string, port: number) => ({
    networking: { address: '127.0.0.1', inbound: [{ port, tags: { 'kuma.io/service': service } }] },
  });

  /** A sidecar's identity client (the agent the sidecar runs), recording the identities it is given. */
  const agent = async (name: string, service: string) => {
    const a = new DataplaneAgent({
      cpAddresses: [api.dpAddress!],
      caCertPem,
      credentials: grpcCredentials.createSsl(Buffer.from(caCertPem)),
      serverName: 'localhost',
      mesh: 'm',
      name,
      token: await dataplaneToken(api.url, 'm', name, topology.adminToken),
      dataplane: { type: 'Dataplane', ...dataplaneSpec(service, 20_000 + agents.length) },
    });
    const identities: DataplaneIdentity[] = [];
    a.on('identity', (id) => identities.push(id));
    agents.push(a);
    return { agent: a, identities };
  };

  /** A client holding a role's NATS credentials, reading the resource bucket as any role may. */
  const natsAs = async (role: 'rotation-scheduler' | 'mesh-api') => {
    const nc: NatsConnection = await connectNats({
      servers: topology.natsUrls,
      name: `test-${role}-${randomUUID()}`,
      ...topology.natsClient(role),
    });
    const store = await NatsKvResourceStore.connect({ nc, bucket: 'mesh-resources', clock: systemClock });
    closers.push(
      () => store.close(),
      () => nc.close(),
    );
    return store;
  };

  /** One raw stream: writes a hello, collects messages until an identity comes or the stream ends. */
  const rawHello = (client: Client, hello: DataplaneClientMessage): Promise<Outcome> =>
    new Promise((resolve) => {
      const call = client.makeBidiStreamRequest<DataplaneClientMessage, DataplaneServerMessage>(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        new Metadata(),
      );
      const outcome: Outcome = { messages: [] };
      call.on('data', (message: DataplaneServerMessage) => {
        outcome.messages.push(message);
        if (message.type === 'identity') {
          resolve(outcome);
          call.cancel();
        }
      });
      call.on('error', (e: Error & { code?: number; details?: string; metadata?: Metadata }) =>
        resolve({
          ...outcome,
          code: e.code,
          details: e.details,
          reason: e.metadata?.get(STREAM_END_TRAILER)[0]?.toString(),
        }),
      );
      call.write(hello);
    });
  const csr = () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return createCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey });
  };
  const rawClient = () => {
    const client = new Client(api.dpAddress!, credentials.createSsl(Buffer.from(caCertPem)), {
      'grpc.ssl_target_name_override': 'localhost',
      'grpc.default_authority': 'localhost',
    });
    closers.push(async () => client.close());
    return client;
  };

  beforeAll(async () => {
    topology = await Topology.start({
      'mesh-api': 1,
      'ca-signer': 1,
      'rotation-scheduler': 1,
      'stats-collector': 1,
    });
    api = topology.of('mesh-api')[0]!;
    caCertPem = readFileSync(topology.dpCaFile, 'utf8');
    const mesh = await admin('PUT', '/meshes/m', {
      type: 'Mesh',
      name: 'm',
      mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
    });
    expect(mesh.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    for (const a of agents) a.stop();
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await topology?.stop();
  });

  it('re-issues nothing for rotations replayed by a client with rotation-scheduler’s credentials', async () => {
    const { agent: web, identities } = await agent('web-1', 'web');
    web.start();
    await eventually(() => expect(identities).toHaveLength(1), 30_000);
    // What an attacker holding the scheduler's password can read: the insight in the resource bucket
    // names the dataplane's serials and the replica (and its boot) holding its stream.
    const bucket = await natsAs('rotation-scheduler');
    const insightKey = { type: ResourceType.DataplaneInsight, mesh: 'm', name: 'web-1' };
    const insight = async () => (await bucket.get(insightKey))?.spec as DataplaneInsightSpec | undefined;
    await eventually(async () => expect((await insight())?.countedSerials).toEqual([identities[0]!.serial]));
    const attacker = await NatsBus.connect({
      servers: topology.natsUrls,
      name: 'replaying-attacker',
      ...topology.natsClient('rotation-scheduler'),
    });
    closers.push(() => attacker.close());
    const replies: string[] = [];
    for (let round = 0; round < 15; round++) {
      const seen = (await insight())!;
      const target = addressedTo(rotateDataplane, seen.subscriptions.at(-1)!.controlPlaneInstanceId);
      const serial = seen.countedSerials!.at(-1)!;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          attacker.request(target, { mesh: 'm', dataplane: 'web-1', serial, reason: 'rotation' }),
        ),
      );
      replies.push(...answers.map((a) => a.status));
    }
    expect(replies).toEqual(Array(300).fill('not-due'));
    expect(identities).toHaveLength(1);
    const text = await metrics();
    expect(metricSum(text, 'mesh_dataplane_rotations_refused_total', 'mesh="m",reason="not-due"')).toBe(300);
    expect(metricSum(text, 'mesh_dataplane_certificates_issued_total', 'reason="rotation"')).toBe(0);
    // Nothing NATS itself had to refuse: the requests were the scheduler's to send, and refused by mesh-api.
    expect(topology.natsViolations()).toEqual([]);
  });

  it('limits a dataplane reconnecting in a loop to its issuance rate: the excess is refused, not issued', async () => {
    const client = rawClient();
    const token = await dataplaneToken(api.url, 'm', 'loop-1', topology.adminToken);
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 12; i++) {
      outcomes.push(
        await rawHello(client, {
          type: 'hello',
          mesh: 'm',
          name: 'loop-1',
          token,
          session: randomUUID(), // a restart every time: each would be issued a certificate
          csrPem: csr(),
          dataplane: dataplaneSpec('loop', 21_000),
        }),
      );
    }
    const issued = outcomes.filter((o) => o.messages.some((x) => x.type === 'identity'));
    const refused = outcomes.filter((o) => o.code === GrpcStatus.RESOURCE_EXHAUSTED);
    // 6 at once, and one more for every 10 s the loop took (a loaded machine may take a while).
    expect(issued.length).toBeGreaterThanOrEqual(6);
    expect(issued.length).toBeLessThan(12);
    expect(issued.length + refused.length).toBe(12);
    expect(refused[0]).toMatchObject({
      reason: 'rate-limited',
      details: expect.stringMatching(
        /^dataplane "loop-1" of mesh "m" was issued as many certificates as it may be for now \(6 a minute, 6 at once\): connect again in \d+ s$/,
      ),
    });
    expect(
      metricSum(
        await metrics(),
        'mesh_dataplane_issuances_limited_total',
        'mesh="m",reason="restart",outcome="refused"',
      ),
    ).toBe(refused.length);
  });

  it('settles two sidecars with one name: the newest holds the identity, the older backs off, the insight shows it', async () => {
    const first = await agent('twin', 'twin');
    const second = await agent('twin', 'twin');
    const twins = [first, second];
    const replaced: { who: number; times: number; retryInMs: number }[] = [];
    const limited: number[] = [];
    twins.forEach(({ agent: a }, who) => {
      a.on('replaced', (e) => replaced.push({ who, times: e.times, retryInMs: e.retryInMs }));
      a.on('disconnected', (e) => e.code === GrpcStatus.RESOURCE_EXHAUSTED && limited.push(who));
    });
    first.agent.start();
    await eventually(() => expect(first.identities).toHaveLength(1), 30_000);
    const since = Date.now();
    second.agent.start();
    // The older is told at once, and each comes back later every time it is replaced; once the two have
    // taken the identity from each other as often as the burst allows, the next is refused.
    await eventually(() => expect(limited.length).toBeGreaterThan(0), 60_000);
    // The burst (the first certificate included), and one more for every 10 s this took.
    const issued = first.identities.length + second.identities.length;
    expect(issued).toBeLessThanOrEqual(6 + Math.ceil((Date.now() - since) / 10_000));
    expect(replaced[0]).toMatchObject({ who: 0, times: 1 });
    for (const who of [0, 1]) {
      const waits = replaced.filter((r) => r.who === who).map((r) => r.retryInMs);
      // Doubling from 1 s with equal jitter: the n-th wait is between 2^n/2 and 2^n seconds.
      waits.forEach((ms, n) => expect(ms).toBeGreaterThanOrEqual(500 * 2 ** n));
    }
    // One holds the stream; the other waits.
    await eventually(() =>
      expect(twins.filter(({ agent: a }) => a.connectedTo !== undefined)).toHaveLength(1),
    );
    const overview = async () =>
      (await admin('GET', '/meshes/m/dataplanes+insights/twin')).json.dataplaneInsight as {
        replacedStreams?: number;
        lastReplacedTime?: string;
        subscriptions: { disconnectReason?: string; disconnectTime?: string }[];
      };
    await eventually(async () => {
      const insight = await overview();
      expect(insight.replacedStreams).toBe(replaced.length);
      expect(Date.parse(insight.lastReplacedTime!)).toBeGreaterThan(0);
      expect(insight.subscriptions.filter((s) => s.disconnectReason === 'replaced')).toHaveLength(
        Math.min(replaced.length, 9),
      );
    }, 20_000);
    for (const { agent: a } of twins) a.stop();
  });

  it('answers a CSR whose signature does not verify INVALID_ARGUMENT, so the sidecar makes a new key', async () => {
    const named = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const outcome = await rawHello(rawClient(), {
      type: 'hello',
      mesh: 'm',
      name: 'forged-1',
      token: await dataplaneToken(api.url, 'm', 'forged-1', topology.adminToken),
      session: randomUUID(),
      csrPem: createCsr({ privateKey: signer.privateKey, publicKey: named.publicKey }),
      dataplane: dataplaneSpec('forged', 21_001),
    });
    expect(outcome.messages.filter((x) => x.type === 'identity')).toEqual([]);
    expect(outcome).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'CSR refused: the CSR signature does not verify with its public key',
      reason: 'csr-refused',
    });
  });

  it('refuses a MeshTrafficPermission past 10,000 for one dataplane; one slipping past is reported once, not re-issued', async () => {
    const permission = (name: string) => ({
      type: 'MeshTrafficPermission',
      mesh: 'm',
      name,
      spec: {
        targetRef: { kind: 'MeshService', name: 'big' },
        from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
      },
    });
    // 10,000 permissions selecting service "big", written straight into the bucket (as mesh-api would).
    const bucket = await natsAs('mesh-api');
    const key = (name: string) => ({ type: ResourceType.MeshTrafficPermission, mesh: 'm', name });
    for (let i = 0; i < MAX_TRAFFIC_PERMISSIONS; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, j) => bucket.create(key(`p-${i + j}`), permission('x').spec)),
      );
    }
    const { agent: big, identities } = await agent('big-1', 'big');
    let disconnects = 0;
    big.on('disconnected', () => disconnects++);
    big.start();
    await eventually(() => expect(big.traffic?.permissions).toHaveLength(MAX_TRAFFIC_PERMISSIONS), 60_000);

    const refused = await admin(
      'PUT',
      '/meshes/m/meshtrafficpermissions/one-too-many',
      permission('one-too-many'),
    );
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      status: 400,
      detail: 'Resource is not valid',
      invalid_parameters: [
        {
          field: 'spec.targetRef',
          reason:
            'selects dataplane "big-1", which would then be selected by 10001 MeshTrafficPermissions: at most 10000 MeshTrafficPermissions may select one dataplane (they are all sent to it in one message)',
        },
      ],
    });

    // One written past the API (two replicas racing, say): the dataplane keeps its message and stream.
    await bucket.create(key('slipped-past'), permission('x').spec);
    const withheld = async () => {
      const text = await metrics();
      return [
        metricSum(text, 'mesh_dataplane_traffic_refused_total', 'mesh="m"'),
        metricSum(text, 'mesh_dataplanes_traffic_withheld'),
      ];
    };
    await eventually(async () => expect(await withheld()).toEqual([1, 1]), 30_000);
    // A change every dataplane of the mesh is sent leaves big-1's message as it was: not reported again.
    const { agent: probe } = await agent('probe-1', 'probe');
    probe.start();
    await eventually(() => expect(probe.traffic).toBeDefined(), 30_000);
    expect(
      (
        await admin('PUT', '/meshes/m/meshtrafficpermissions/to-probe', {
          ...permission('to-probe'),
          spec: { ...permission('to-probe').spec, targetRef: { kind: 'MeshService', name: 'probe' } },
        })
      ).status,
    ).toBe(201);
    await eventually(
      () => expect(probe.traffic?.permissions.map((p) => p.name)).toEqual(['to-probe']),
      30_000,
    );
    expect(await withheld()).toEqual([1, 1]);
    expect(identities).toHaveLength(1);
    expect(disconnects).toBe(0);
    expect(big.traffic?.permissions).toHaveLength(MAX_TRAFFIC_PERMISSIONS);

    // Back within the limit, it is sent again.
    expect((await admin('DELETE', '/meshes/m/meshtrafficpermissions/p-0')).status).toBe(200);
    await eventually(
      () => expect(big.traffic?.permissions.map((p) => p.name)).toContain('slipped-past'),
      30_000,
    );
    expect((await withheld())[1]).toBe(0);
  }, 180_000);
});
