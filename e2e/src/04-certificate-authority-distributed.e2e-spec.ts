import { X509Certificate, createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { issueCertificate } from '@meshtls/contracts';
import { createCsr } from '@meshtls/pki';
import type { MeshSpec, ResourceRecord } from '@meshtls/domain';
import { NatsBus, connectNats } from '@meshtls/bus';
import { NatsKvResourceStore } from '@meshtls/store/adapters';
import { systemClock } from '@meshtls/util';
import { OpensslWorkspace, eventually } from '@meshtls/testing';
import { http } from '../support/cli';
import { Topology } from '@meshtls/testing';

const MESHES = ['race-1', 'race-2', 'race-3'];

describe('certificate authority, distributed (two mesh-api, two ca-signer replicas)', () => {
  let topology: Topology;
  let bus: NatsBus;
  let openssl: OpensslWorkspace;
  let kv: NatsKvResourceStore;
  let kvConnection: Awaited<ReturnType<typeof connectNats>>;

  /** What mesh-api names in a request for `dataplane`: the revisions and backend the bucket holds. */
  const facts = async (mesh: string, dataplane: string) => {
    // This reader learns of mesh-api's writes from its watch, a moment after the PUT was answered.
    let m: ResourceRecord | undefined;
    let d: ResourceRecord | undefined;
    await eventually(async () => {
      m = await kv.get({ type: 'Mesh', name: mesh });
      d = await kv.get({ type: 'Dataplane', mesh, name: dataplane });
      expect([m, d]).not.toContain(undefined);
    });
    if (!m || !d) throw new Error(`${mesh}/${dataplane} not in the bucket`);
    return {
      meshVersion: m.meta.version,
      dataplaneVersion: d.meta.version,
      backend: (m.spec as MeshSpec).mtls!.enabledBackend!,
    };
  };

  beforeAll(async () => {
    topology = await Topology.start(2);
    bus = await NatsBus.connect({
      servers: [topology.nats.url],
      name: 'e2e-client',
      ...topology.natsClient('mesh-api'),
    });
    openssl = new OpensslWorkspace();
    kvConnection = await connectNats({
      servers: [topology.nats.url],
      name: 'e2e-kv-reader',
      ...topology.natsClient('mesh-api'),
    });
    kv = await NatsKvResourceStore.connect({
      nc: kvConnection,
      bucket: 'mesh-resources',
      clock: systemClock,
    });
  }, 90_000);

  afterAll(async () => {
    await kv?.close();
    await kvConnection?.close();
    await bus?.close();
    await topology?.stop();
    openssl?.close();
  });

  const put = (url: string, path: string, doc: object) =>
    http('PUT', `${url}${path}`, {
      body: JSON.stringify(doc),
      contentType: 'application/json',
      token: topology.adminToken,
    });

  it('creates exactly one CA per backend when both replicas apply the same Mesh at once', async () => {
    const [a, b] = topology.of('mesh-api').map((r) => r.url);
    const mesh = (name: string) => ({
      type: 'Mesh',
      name,
      mtls: {
        enabledBackend: 'ca-1',
        backends: [
          { name: 'ca-1', type: 'builtin' },
          { name: 'ca-2', type: 'builtin' },
        ],
      },
    });
    const results = await Promise.all(
      MESHES.flatMap((name) => [
        put(a, `/meshes/${name}`, mesh(name)),
        put(b, `/meshes/${name}`, mesh(name)),
      ]),
    );
    // Both writes of a pair race: one creates (201); the other updates (200) or meets a conflict (409).
    for (const r of results) expect([200, 201, 409]).toContain(r.status);
    for (const name of MESHES) {
      const secrets = await http('GET', `${a}/meshes/${name}/secrets`, { token: topology.adminToken });
      expect(secrets.json.items.map((s: { name: string }) => s.name)).toEqual([
        `${name}.ca-builtin-cert-ca-1`,
        `${name}.ca-builtin-cert-ca-2`,
        `${name}.ca-builtin-key-ca-1`,
        `${name}.ca-builtin-key-ca-2`,
      ]);
      for (const backend of ['ca-1', 'ca-2']) {
        const item = (n: string) => secrets.json.items.find((s: { name: string }) => s.name === n);
        const cert = new X509Certificate(
          Buffer.from(item(`${name}.ca-builtin-cert-${backend}`).data, 'base64'),
        );
        const keyPem = Buffer.from(item(`${name}.ca-builtin-key-${backend}`).data, 'base64').toString();
        expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
        // Every secret was written once: version history shows no regeneration.
        expect(item(`${name}.ca-builtin-cert-${backend}`).creationTime).toBe(
          item(`${name}.ca-builtin-cert-${backend}`).modificationTime,
        );
      }
    }
  });

  it('issues dataplane certificates over NATS that openssl verifies against the mesh CA', async () => {
    const [a] = topology.of('mesh-api').map((r) => r.url);
    const dp = {
      type: 'Dataplane',
      mesh: 'race-1',
      name: 'web-1',
      networking: {
        address: '127.0.0.1',
        inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web', zone: 'eu' } }],
      },
    };
    expect((await put(a, '/meshes/race-1/dataplanes/web-1', dp)).status).toBe(201);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csrPem = createCsr({ privateKey, publicKey, subject: { commonName: 'spiffe://race-1/admin' } });
    const reply = await bus.request(issueCertificate, {
      mesh: 'race-1',
      dataplane: 'web-1',
      ...(await facts('race-1', 'web-1')),
      csrPem,
      reason: 'new',
      requestId: randomUUID(),
    });
    if (reply.status !== 'issued') throw new Error(`${reply.status}: ${reply.reason}`);
    const anchor = reply.trustBundle.find((t) => t.backend === 'ca-1')!;
    const caFile = openssl.write('ca.pem', anchor.certPem);
    const leafFile = openssl.write('leaf.pem', reply.certificate.certPem);
    expect(openssl.run('verify', '-CAfile', caFile, leafFile)).toContain('leaf.pem: OK');
    const text = openssl.text(reply.certificate.certPem);
    expect(text).toContain('URI:spiffe://race-1/web, URI:kuma://kuma.io/service/web, URI:kuma://zone/eu');
    expect(text).not.toContain('admin');
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(text).toMatch(/CA:FALSE/);
  });

  it('issues from a provided intermediate CA, with the chain attached (openssl verify -untrusted)', async () => {
    const [a] = topology.of('mesh-api').map((r) => r.url);
    const root = openssl.makeCa('corp-root', { keyType: 'rsa' });
    const intermediate = openssl.makeCa('corp-intermediate', { keyType: 'ec', issuer: root });
    expect((await put(a, '/meshes/corp', { type: 'Mesh', name: 'corp' })).status).toBe(201);
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    await put(a, '/meshes/corp/secrets/chain', {
      type: 'Secret',
      mesh: 'corp',
      name: 'chain',
      data: b64(intermediate.certPem + root.certPem),
    });
    await put(a, '/meshes/corp/secrets/key', {
      type: 'Secret',
      mesh: 'corp',
      name: 'key',
      data: b64(intermediate.keyPem),
    });
    const mesh = {
      type: 'Mesh',
      name: 'corp',
      mtls: {
        enabledBackend: 'corp',
        backends: [
          { name: 'corp', type: 'provided', conf: { cert: { secret: 'chain' }, key: { secret: 'key' } } },
        ],
      },
    };
    expect((await put(a, '/meshes/corp', mesh)).status).toBe(200);
    const dp = {
      type: 'Dataplane',
      mesh: 'corp',
      name: 'api-1',
      networking: { address: '127.0.0.1', inbound: [{ port: 9090, tags: { 'kuma.io/service': 'api' } }] },
    };
    expect((await put(a, '/meshes/corp/dataplanes/api-1', dp)).status).toBe(201);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const reply = await bus.request(issueCertificate, {
      mesh: 'corp',
      dataplane: 'api-1',
      ...(await facts('corp', 'api-1')),
      csrPem: createCsr({ privateKey, publicKey }),
      reason: 'new',
      requestId: randomUUID(),
    });
    if (reply.status !== 'issued') throw new Error(`${reply.status}: ${reply.reason}`);
    expect(reply.trustBundle).toEqual([
      { backend: 'corp', certPem: new X509Certificate(root.certPem).toString() },
    ]);
    const rootFile = openssl.write('corp-root-anchor.pem', reply.trustBundle[0].certPem);
    const chainFile = openssl.write('corp-chain.pem', reply.certificate.chainPem);
    const leafFile = openssl.write('corp-leaf.pem', reply.certificate.certPem);
    expect(openssl.run('verify', '-CAfile', rootFile, '-untrusted', chainFile, leafFile)).toContain(
      'corp-leaf.pem: OK',
    );
    expect(openssl.tryRun('verify', '-CAfile', rootFile, leafFile).ok).toBe(false);
  });
});
