import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import {
  ensureCaBackends,
  issueCertificate,
  trustBundle,
  validateMtls,
  type ReplyOf,
} from '@meshtls/contracts';
import { ResourceType } from '@meshtls/domain';
import { createCsr } from '@meshtls/pki';
import { startStandaloneRole, type StandaloneRole } from '@meshtls/nest-core/testing';
import { loadCaSignerConfig } from './ca-signer.config';
import { CaSignerModule } from './ca-signer.module';

const mtls = { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] };
const web = {
  networking: { address: '127.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] },
};

/**
 * What CaSignerModule wires, with CoreModule's real standalone adapters (the embedded SQLite store and
 * the in-process bus): its four contracts answered on the bus by the real use cases, admission control
 * from its config, and its metrics in the process registry. The tests run in order: the second signs
 * with the CA the first created.
 */
describe('CaSignerModule', () => {
  let role: StandaloneRole;

  beforeAll(async () => {
    // One signing at a time and one waiting: a third request at once is shed.
    const caSigner = loadCaSignerConfig({ MESH_CA_MAX_CONCURRENT: '1', MESH_CA_MAX_QUEUE: '1' });
    role = await startStandaloneRole('ca-signer', [CaSignerModule.forRoot(caSigner)]);
  });

  afterAll(() => role?.close());

  it('validates a mesh mTLS and creates its builtin CA, once', async () => {
    const invalid = await role.bus.request(validateMtls, {
      mesh: 'default',
      mtls: { ...mtls, enabledBackend: 'nope' },
    });
    expect(invalid.violations.map((v) => v.field)).toContain('mtls.enabledBackend');
    expect(await role.bus.request(validateMtls, { mesh: 'default', mtls })).toMatchObject({ violations: [] });

    await role.store.create({ type: ResourceType.Mesh, name: 'default' }, { mtls });
    expect(await role.bus.request(ensureCaBackends, { mesh: 'default', mtls })).toEqual({
      created: ['ca-1'],
      existing: [],
    });
    expect(await role.bus.request(ensureCaBackends, { mesh: 'default', mtls })).toEqual({
      created: [],
      existing: ['ca-1'],
    });
    // Kept as Secrets in the store.
    for (const name of ['default.ca-builtin-cert-ca-1', 'default.ca-builtin-key-ca-1']) {
      expect(await role.store.get({ type: ResourceType.Secret, mesh: 'default', name })).toBeDefined();
    }
  });

  it('signs dataplane certificates under admission control, and counts them on /metrics', async () => {
    const dp = await role.store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' }, web);
    const mesh = (await role.store.get({ type: ResourceType.Mesh, name: 'default' }))!;
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csrPem = createCsr(keys);
    const issue = (requestId: string, over: object = {}) =>
      role.bus.request(issueCertificate, {
        mesh: 'default',
        dataplane: 'web-1',
        reason: 'new',
        requestId,
        csrPem,
        meshVersion: mesh.meta.version,
        dataplaneVersion: dp.meta.version,
        backend: 'ca-1',
        ...over,
      });
    const replies = await Promise.all([issue('r-1'), issue('r-2'), issue('r-3')]);
    expect(replies.map((r) => r.status)).toEqual(['issued', 'issued', 'shed']);
    expect(replies[2]).toMatchObject({ reason: 'overloaded: queue full' });

    const issued = replies[0] as Extract<ReplyOf<typeof issueCertificate>, { status: 'issued' }>;
    const cert = new X509Certificate(issued.certificate.certPem);
    expect(cert.subjectAltName).toBe('URI:spiffe://default/web, URI:kuma://kuma.io/service/web');
    const { trustBundle: anchors } = await role.bus.request(trustBundle, { mesh: 'default' });
    expect(anchors.map((a) => a.backend)).toEqual(['ca-1']);
    const ca = new X509Certificate(anchors[0].certPem);
    expect(cert.verify(ca.publicKey)).toBe(true);

    // Asked again (its answer lost): the same certificate, not a new one.
    const repeated = await issue('r-1');
    expect(repeated).toEqual(issued);

    // Naming a revision it does not hold, or another backend than the enabled one: stale, nothing signed.
    expect(await issue('r-4', { dataplaneVersion: dp.meta.version - 1 })).toEqual({
      status: 'stale',
      reason: expect.stringContaining('the Dataplane of default/web-1 is at revision'),
    });
    expect(await issue('r-5', { backend: 'ca-9' })).toMatchObject({ status: 'stale' });

    const text = await role.metrics.metrics();
    expect(text).toMatch(
      /^mesh_ca_certificates_signed_total\{mesh="default",backend="ca-1",reason="new",roles="ca-signer"\} 2$/m,
    );
    expect(text).toMatch(/^mesh_ca_admission_rejections_total\{roles="ca-signer"\} 1$/m);
    expect(text).toMatch(/^mesh_ca_repeated_requests_total\{roles="ca-signer"\} 1$/m);
    expect(text).toContain(
      `mesh_ca_certificate_expiration_timestamp_seconds{mesh="default",backend="ca-1",roles="ca-signer"} ${Date.parse(ca.validTo) / 1000}\n`,
    );
  });
});
