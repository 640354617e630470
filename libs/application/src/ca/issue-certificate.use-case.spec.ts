import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { ResourceType } from '@meshtls/domain';
import { createCsr } from '@meshtls/pki';
import { MemoryResourceStore } from '@meshtls/store';
import { FakeClock } from '@meshtls/util';
import { BuiltinCaManager } from './builtin-ca.manager';
import { CaRegistry } from './ca-registry';
import { DataSourceReader } from './data-source.reader';
import { issueWithCsr } from '../dataplanes/identity-issuer';
import { IssueCertificateUseCase } from './issue-certificate.use-case';
import { ProvidedCaManager } from './provided-ca.manager';

const clock = new FakeClock('2026-06-01T00:00:00Z');
const mtls = {
  enabledBackend: 'ca-1',
  backends: [
    { name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1d' } } },
    { name: 'ca-2', type: 'builtin' },
  ],
};
const dataplane = {
  networking: {
    address: '10.0.0.1',
    inbound: [
      { port: 8080, tags: { 'kuma.io/service': 'web', version: 'v2' } },
      { port: 8081, tags: { 'kuma.io/service': 'web-admin' } },
    ],
  },
};

/** A valid CSR of a fresh P-256 key, for the tests about everything but the key. */
const anyCsr = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return createCsr({ privateKey, publicKey });
};

describe('IssueCertificateUseCase', () => {
  let store: MemoryResourceStore;
  let issue: IssueCertificateUseCase;
  let registry: CaRegistry;

  beforeEach(async () => {
    store = new MemoryResourceStore(clock);
    const builtin = new BuiltinCaManager(store, clock);
    registry = new CaRegistry({
      builtin,
      provided: new ProvidedCaManager(new DataSourceReader(store), clock),
    });
    // Waits 100 ms for a Mesh or Dataplane this store does not hold yet.
    issue = new IssueCertificateUseCase(store, registry, clock, undefined, 100);
    await store.create({ type: ResourceType.Mesh, name: 'default' }, { mtls });
    await store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' }, dataplane);
    for (const b of mtls.backends) await builtin.ensure('default', b as never);
  });

  it('signs the CSR key with the identity of the stored Dataplane, not of the CSR', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csrPem = createCsr({ privateKey, publicKey });
    const result = await issue.execute({ mesh: 'default', dataplane: 'web-1', csrPem });
    const cert = new X509Certificate(result.certificate.certPem);
    expect(cert.subjectAltName).toBe(
      'URI:spiffe://default/web, URI:spiffe://default/web-admin, URI:kuma://version/v2',
    );
    expect(cert.checkPrivateKey(privateKey)).toBe(true);
    expect(Object.keys(result.certificate)).not.toContain('keyPem');
    const anchor = new X509Certificate(result.trustBundle.find((a) => a.backend === 'ca-1')!.certPem);
    expect(cert.verify(anchor.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(Date.parse(cert.validTo) - clock.now().getTime()).toBe(86_400_000);
    expect(result.certificate).toMatchObject({ backend: 'ca-1', serial: cert.serialNumber, chainPem: '' });
  });

  it('puts every backend of the mesh in the trust bundle', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const result = await issue.execute({
      mesh: 'default',
      dataplane: 'web-1',
      csrPem: createCsr({ privateKey, publicKey }),
    });
    expect(result.trustBundle.map((a) => a.backend)).toEqual(['ca-1', 'ca-2']);
  });

  it("signs, for a dataplane that sends no CSR, the RSA-2048 key and CSR mesh-api made (Kuma's way)", async () => {
    const sent: string[] = [];
    const result = await issueWithCsr({ mesh: 'default', dataplane: 'web-1', reason: 'new' }, (csrPem) => {
      sent.push(csrPem);
      return issue.execute({ mesh: 'default', dataplane: 'web-1', csrPem });
    });
    // What goes to ca-signer is a CSR, never a key; the key stays with the caller.
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(sent[0]).not.toContain('PRIVATE KEY');
    const key = createPrivateKey(result.keyPem!);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(new X509Certificate(result.certificate.certPem).checkPrivateKey(key)).toBe(true);
  });

  it('refuses a CSR whose signature does not verify', async () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = createCsr({ privateKey: a.privateKey, publicKey: b.publicKey });
    await expect(
      issue.execute({ mesh: 'default', dataplane: 'web-1', csrPem: forged }),
    ).rejects.toMatchObject({
      code: 'csr.invalid',
    });
  });

  it('gives clear errors: mTLS disabled, unknown dataplane, unknown mesh', async () => {
    await store.create({ type: ResourceType.Mesh, name: 'plain' }, {});
    await store.create({ type: ResourceType.Dataplane, mesh: 'plain', name: 'dp' }, dataplane);
    await expect(issue.execute({ mesh: 'plain', dataplane: 'dp', csrPem: anyCsr() })).rejects.toMatchObject({
      code: 'ca.mtls-disabled',
      message: 'mTLS is disabled on mesh "plain": set mtls.enabledBackend to issue certificates',
    });
    await expect(
      issue.execute({ mesh: 'default', dataplane: 'nope', csrPem: anyCsr() }),
    ).rejects.toMatchObject({
      code: 'ca.dataplane-not-found',
    });
    await expect(issue.execute({ mesh: 'nope', dataplane: 'web-1', csrPem: anyCsr() })).rejects.toMatchObject(
      {
        code: 'ca.mesh-not-found',
      },
    );
  });

  it('waits a moment for a Dataplane its store has not seen yet (registered by mesh-api just before)', async () => {
    // Written only once the use case watches for it, so the waiting path (not the first read) finds it.
    const watching = new Promise<void>((resolve) => {
      const watch = store.watch.bind(store);
      store.watch = (listener) => {
        const stop = watch(listener);
        resolve();
        return stop;
      };
    });
    // A wait no loaded machine outlasts: the test asserts the record is found, not how fast.
    const patient = new IssueCertificateUseCase(store, registry, clock, undefined, 60_000);
    const pending = patient.execute({ mesh: 'default', dataplane: 'late-1', csrPem: anyCsr() });
    await watching;
    await store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'late-1' }, dataplane);
    const result = await pending;
    expect(new X509Certificate(result.certificate.certPem).subjectAltName).toContain('spiffe://default/web');
  });
});
