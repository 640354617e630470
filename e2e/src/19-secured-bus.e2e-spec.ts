import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as natsConnect, type NatsConnection } from 'nats';
import { connect as netConnect } from 'node:net';
import {
  DataplaneProcess,
  Topology,
  dataplaneToken,
  eventually,
  tempDir,
  type TempDir,
} from '@meshtls/testing';
import { issueCertificate } from '@meshtls/contracts';
import { SigningCa, createBuiltinCa, verifyCsr } from '@meshtls/pki';
import { NatsBus } from '@meshtls/bus';
import { http } from '../support/cli';

/**
 * The distributed deployment's bus as shipped (`deploy/nats/auth.conf`, Redis with a password), tried
 * as an attacker on the same network would: without credentials, and with the credentials of a role
 * that has no business with identities (stats-collector). Every attempt is refused by the servers
 * themselves, and the fleet keeps working with the shipped permissions, none of which it oversteps.
 */
describe('secured bus: NATS users per role, Redis with a password', () => {
  let topology: Topology;
  let dir: TempDir;
  let dp: DataplaneProcess;

  const admin = (method: string, path: string, body?: object) =>
    http(method, `${topology.of('mesh-api')[0]!.url}${path}`, {
      ...(body ? { body: JSON.stringify(body), contentType: 'application/json' } : {}),
      token: topology.adminToken,
    });

  /** Lines of the NATS log refusing `user` something on `subject`. */
  const refused = (user: string, subject: string) =>
    topology.natsViolations().filter((l) => l.includes(`User "${user}"`) && l.includes(`"${subject}"`));

  beforeAll(async () => {
    [topology, dir] = await Promise.all([
      Topology.start({ 'mesh-api': 1, 'ca-signer': 1, 'rotation-scheduler': 1, 'stats-collector': 1 }),
      tempDir('meshtls-e2e-bus-'),
    ]);
    const mesh = await admin('PUT', '/meshes/prod', {
      type: 'Mesh',
      name: 'prod',
      mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
    });
    expect(mesh.status).toBe(201);
    const api = topology.of('mesh-api')[0]!;
    dp = await DataplaneProcess.start({
      dir: dir.path,
      mesh: 'prod',
      name: 'pay-1',
      service: 'payments',
      token: await dataplaneToken(api.url, 'prod', 'pay-1', topology.adminToken),
      cpAddresses: [api.dpAddress!],
      caFile: topology.dpCaFile,
    });
  }, 90_000);

  afterAll(async () => {
    await dp?.stop();
    await topology?.stop();
    await dir?.remove();
  });

  it('refuses a NATS client without credentials, or with a wrong password', async () => {
    await expect(natsConnect({ servers: topology.natsUrls })).rejects.toMatchObject({
      code: 'AUTHORIZATION_VIOLATION',
    });
    await expect(
      natsConnect({ servers: topology.natsUrls, user: 'ca-signer', pass: 'not-the-password' }),
    ).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
  });

  it('refuses a Redis client without the password', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(topology.redis.port, '127.0.0.1', () => socket.write('KEYS *\r\n'));
      socket.once('data', (d: Buffer) => (resolve(d.toString('latin1')), socket.destroy()));
      socket.once('error', reject);
    });
    expect(answer).toMatch(/^-NOAUTH/);
  });

  describe('with the credentials of a role that has no business with identities', () => {
    let nc: NatsConnection;

    beforeAll(async () => {
      nc = await natsConnect({ servers: topology.natsUrls, ...topology.natsUser('stats-collector') });
    });
    afterAll(async () => {
      await nc?.close();
    });

    it('cannot ask for a certificate, answer on the CA subjects, or read anyone’s replies', async () => {
      const ask = nc.request(
        'mesh.ca.issue.v1',
        JSON.stringify({ mesh: 'prod', dataplane: 'pay-1', reason: 'new', requestId: 'attack-1' }),
        { timeout: 2000 },
      );
      await expect(ask).rejects.toThrow();
      // A fake CA, in ca-signer's queue group, and an eavesdropper on every reply inbox.
      const fake = nc.subscribe('mesh.ca.issue.v1', { queue: 'ca-signer' });
      const inbox = nc.subscribe('_INBOX.>');
      const mine = nc.subscribe('_INBOX_ca-signer.>');
      await eventually(() => {
        expect(refused('stats-collector', 'mesh.ca.issue.v1')).toHaveLength(2); // publish and subscribe
        expect(refused('stats-collector', '_INBOX.>')).toHaveLength(1);
        expect(refused('stats-collector', '_INBOX_ca-signer.>')).toHaveLength(1);
      }, 10_000);
      for (const sub of [fake, inbox, mine]) expect(sub.getReceived()).toBe(0);
    });

    it('cannot replay rotations, forge dataplane events or write the resource bucket', async () => {
      nc.publish('mesh.dataplane.rotate.v1.i00', '{}');
      nc.publish('mesh.dataplane.connection.v1', '{}');
      nc.publish('mesh.dataplane.certificate.v1', '{}');
      nc.publish('$KV.mesh-resources.Secret.prod.forged', '{"spec":{"data":"cGxhaW4="}}');
      await nc.flush();
      await eventually(() => {
        for (const subject of [
          'mesh.dataplane.rotate.v1.i00',
          'mesh.dataplane.connection.v1',
          'mesh.dataplane.certificate.v1',
          '$KV.mesh-resources.Secret.prod.forged',
        ]) {
          expect(refused('stats-collector', subject)).toHaveLength(1);
        }
      }, 10_000);
      expect((await admin('GET', '/meshes/prod/secrets/forged')).status).toBe(404);
    });
  });

  it('keeps issuing from the real CA, every role within its permissions', async () => {
    const view = await dp.waitFor((v) => v.identity !== null, 30_000);
    const cert = new X509Certificate(readFileSync(`${dp.certDir}/cert.pem`));
    expect(cert.serialNumber.toLowerCase()).toBe(view.identity!.serial.toLowerCase());
    const secret = await admin('GET', '/meshes/prod/secrets/prod.ca-builtin-cert-ca-1');
    expect(secret.status).toBe(200);
    const ca = new X509Certificate(Buffer.from(JSON.parse(secret.text).data, 'base64'));
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toContain('URI:spiffe://prod/payments');
    for (const replica of topology.replicas) {
      expect({ replica: replica.instanceId, refused: topology.natsViolations(replica.instanceId) }).toEqual({
        replica: replica.instanceId,
        refused: [],
      });
    }
  });

  it('does not forward a certificate from a compromised ca-signer, and heals once a real one answers', async () => {
    // The real ca-signer goes; a process with ca-signer's credentials answers instead, with a certificate
    // for the right key and names from a CA of its own, and its CA slipped into the trust bundle.
    const real = topology.of('ca-signer')[0]!;
    await real.process.stop();
    const rogue = await createBuiltinCa({
      mesh: 'prod',
      backend: 'ca-1',
      rsaBits: 2048,
      validityMs: 86_400_000,
      now: new Date(),
    });
    const rogueCa = SigningCa.load({ certChainPem: rogue.certPem, keyPem: rogue.keyPem });
    const fake = await NatsBus.connect({
      servers: topology.natsUrls,
      name: 'fake-ca-signer',
      ...topology.natsClient('ca-signer'),
    });
    let answered = 0;
    fake.serve(
      issueCertificate,
      async (request) => {
        answered++;
        const cert = rogueCa.issue({
          publicKey: verifyCsr(request.csrPem),
          uris: ['spiffe://prod/payments'],
          validityMs: 30 * 86_400_000,
          now: new Date(),
        });
        return {
          status: 'issued' as const,
          certificate: {
            certPem: cert.certPem,
            chainPem: cert.chainPem,
            serial: cert.serial,
            notBefore: cert.notBefore.toISOString(),
            notAfter: cert.notAfter.toISOString(),
            backend: 'ca-1',
            uris: ['spiffe://prod/payments'],
          },
          trustBundle: [{ backend: 'ca-1', certPem: rogue.certPem }],
        };
      },
      { queue: 'ca-signer' },
    );
    const api = topology.of('mesh-api')[0]!;
    const late = await DataplaneProcess.start({
      dir: dir.path,
      mesh: 'prod',
      name: 'pay-2',
      service: 'payments',
      token: await dataplaneToken(api.url, 'prod', 'pay-2', topology.adminToken),
      cpAddresses: [api.dpAddress!],
      caFile: topology.dpCaFile,
    });
    try {
      const rejected = async () => {
        const text = await (await fetch(`${api.url}/metrics`)).text();
        return Number(
          /^mesh_dataplane_certificates_rejected_total\{mesh="prod"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0,
        );
      };
      await eventually(async () => expect(await rejected()).toBeGreaterThan(0), 30_000);
      expect(answered).toBeGreaterThan(0);
      expect((await late.view()).identity).toBeNull();
      // Logged before it is counted, but read from the process's output pipe, which may lag the metric.
      await eventually(
        async () =>
          expect(api.process.logs).toMatch(
            /certificate for prod\/pay-2 rejected: answered certificate does not verify/,
          ),
        10_000,
      );

      await fake.close();
      await topology.startReplica('ca-signer', 'ca-signer-again');
      const view = await late.waitFor((v) => v.identity !== null, 60_000);
      const cert = new X509Certificate(readFileSync(`${late.certDir}/cert.pem`));
      expect(cert.serialNumber.toLowerCase()).toBe(view.identity!.serial.toLowerCase());
      expect(cert.verify(new X509Certificate(rogue.certPem).publicKey)).toBe(false);
      expect(readFileSync(`${late.certDir}/ca.pem`, 'utf8')).not.toContain(rogue.certPem.trim());
    } finally {
      await late.stop();
      await fake.close().catch(() => undefined);
    }
  }, 120_000);

  it('stops a role given a wrong NATS password, naming the variables to check and not the password', async () => {
    const start = topology.startReplica('ca-signer', 'ca-signer-wrong', {
      MESH_NATS_PASSWORD: 'wrong-password-value',
    });
    await expect(start).rejects.toThrow(/exited with [12]:[\s\S]*MESH_NATS_PASSWORD/);
    await expect(start).rejects.not.toThrow(/wrong-password-value/);
  });

  it('stops a role given a wrong Redis password, naming the variables to check', async () => {
    const start = topology.startReplica('rotation-scheduler', 'scheduler-wrong', {
      MESH_REDIS_PASSWORD: 'wrong-redis-password',
    });
    await expect(start).rejects.toThrow(/exited with [12]:[\s\S]*MESH_REDIS_PASSWORD/);
    await expect(start).rejects.not.toThrow(/wrong-redis-password/);
  });
});
