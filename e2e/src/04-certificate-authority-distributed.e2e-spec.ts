import { X509Certificate, createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { issueCertificate } from '@meshtls/contracts';
import { createCsr } from '@meshtls/pki';
import { NatsBus } from '@meshtls/store';
import { OpensslWorkspace } from '@meshtls/testing';
import { http } from '../support/cli';
import { Topology } from '@meshtls/testing';

const MESHES = ['race-1', 'race-2', 'race-3'];

describe('certificate authority, distributed (two mesh-api, two ca-signer replicas)', () => {
  let topology: Topology;
  let bus: NatsBus;
  let openssl: OpensslWorkspace;

  beforeAll(async () => {
    topology = await Topology.start(2);
    bus = await NatsBus.connect({ servers: [topology.nats.url], name: 'e2e-client' });
    openssl = new OpensslWorkspace();
  }, 90_000);

  afterAll(async () => {
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
      csrPem,
      reason: 'new',
      requestId: randomUUID(),
    });
    if (reply.status !== 'issued') throw new Error(`shed: ${reply.reason}`);
    const anchor = reply.trustBundle.find((t) => t.backend === 'ca-1')!;
    const caFile = openssl.write('ca.pem', anchor.certPem);
    const leafFile = openssl.write('leaf.pem', reply.certificate.certPem);
    expect(openssl.run('verify', '-CAfile', caFile, leafFile)).toContain('leaf.pem: OK');
    const text = openssl.text(reply.certificate.certPem);
    expect(text).toContain('URI:spiffe://race-1/web, URI:kuma://zone/eu');
    expect(text).not.toContain('admin');
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(text).toMatch(/CA:FALSE/);
  });
});
