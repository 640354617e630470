import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { ResourceType } from '@meshtls/domain';
import { createCsr } from '@meshtls/pki';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import type { CaRegistry } from './ca-registry';
import { storeCas } from './ca-registry.test-support';
import { issueWithCsr } from '../mesh-api/dataplanes/identity-issuer';
import { IssueCertificateUseCase } from './issue-certificate.use-case';

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

  /** A request naming what the store holds now (as mesh-api does), with `over` changed. */
  const asked = async (mesh: string, dataplane: string, csrPem: string, over: object = {}) => {
    const m = await store.get({ type: ResourceType.Mesh, name: mesh });
    const d = await store.get({ type: ResourceType.Dataplane, mesh, name: dataplane });
    const spec = m?.spec as { mtls?: { enabledBackend?: string } } | undefined;
    return {
      mesh,
      dataplane,
      csrPem,
      meshVersion: m?.meta.version ?? 1,
      dataplaneVersion: d?.meta.version ?? 1,
      backend: spec?.mtls?.enabledBackend ?? 'ca-1',
      ...over,
    };
  };

  beforeEach(async () => {
    store = new MemoryResourceStore(clock);
    const cas = storeCas(store, clock);
    registry = cas.registry;
    // Waits 100 ms for a Mesh or Dataplane this store does not hold yet.
    issue = new IssueCertificateUseCase(store, registry, clock, undefined, 100);
    await store.create({ type: ResourceType.Mesh, name: 'default' }, { mtls });
    await store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' }, dataplane);
    for (const b of mtls.backends) await cas.builtin.ensure('default', b as never);
  });

  it('signs the CSR key with the identity of the stored Dataplane, not of the CSR', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csrPem = createCsr({ privateKey, publicKey });
    const result = await issue.execute(await asked('default', 'web-1', csrPem));
    const cert = new X509Certificate(result.certificate.certPem);
    expect(cert.subjectAltName).toBe(
      'URI:spiffe://default/web, URI:spiffe://default/web-admin, ' +
        'URI:kuma://kuma.io/service/web, URI:kuma://kuma.io/service/web-admin, URI:kuma://version/v2',
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
    const result = await issue.execute(await asked('default', 'web-1', createCsr({ privateKey, publicKey })));
    expect(result.trustBundle.map((a) => a.backend)).toEqual(['ca-1', 'ca-2']);
  });

  it("signs, for a dataplane that sends no CSR, the RSA-2048 key and CSR mesh-api made (Kuma's way)", async () => {
    const sent: string[] = [];
    const result = await issueWithCsr({}, async (csrPem) => {
      sent.push(csrPem);
      return issue.execute(await asked('default', 'web-1', csrPem));
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
    await expect(issue.execute(await asked('default', 'web-1', forged))).rejects.toMatchObject({
      code: 'csr.invalid',
    });
  });

  it('gives clear errors: mTLS disabled, unknown dataplane, unknown mesh', async () => {
    await store.create({ type: ResourceType.Mesh, name: 'plain' }, {});
    await store.create({ type: ResourceType.Dataplane, mesh: 'plain', name: 'dp' }, dataplane);
    await expect(issue.execute(await asked('plain', 'dp', anyCsr()))).rejects.toMatchObject({
      code: 'ca.mtls-disabled',
      message: 'mTLS is disabled on mesh "plain": set mtls.enabledBackend to issue certificates',
    });
    await expect(issue.execute(await asked('default', 'nope', anyCsr()))).rejects.toMatchObject({
      code: 'ca.dataplane-not-found',
    });
    await expect(issue.execute(await asked('nope', 'web-1', anyCsr()))).rejects.toMatchObject({
      code: 'ca.mesh-not-found',
    });
  });

  /** The version the memory store gives its next write: it numbers every write of the store in turn. */
  const nextVersion = async () => {
    const types = [ResourceType.Mesh, ResourceType.Dataplane, ResourceType.Secret];
    const lists = await Promise.all(types.map((t) => store.list(t)));
    return 1 + Math.max(...lists.flatMap((l) => l.items.map((r) => r.meta.version)));
  };

  /** Resolves once the use case watches the store: what it waits for is written after, on the waiting path. */
  const watched = () =>
    new Promise<void>((resolve) => {
      const watch = store.watch.bind(store);
      store.watch = (listener) => {
        const stop = watch(listener);
        resolve();
        return stop;
      };
    });

  it('waits a moment for a Dataplane its store has not seen yet (registered by mesh-api just before)', async () => {
    const watching = watched();
    // A wait no loaded machine outlasts: the test asserts the record is found, not how fast.
    const patient = new IssueCertificateUseCase(store, registry, clock, undefined, 60_000);
    // The memory store numbers every write of the store in turn: the next one is the Dataplane's.
    const next = await nextVersion();
    const pending = patient.execute(await asked('default', 'late-1', anyCsr(), { dataplaneVersion: next }));
    await watching;
    const created = await store.create(
      { type: ResourceType.Dataplane, mesh: 'default', name: 'late-1' },
      dataplane,
    );
    expect(created.meta.version).toBe(next);
    const result = await pending;
    expect(new X509Certificate(result.certificate.certPem).subjectAltName).toContain('spiffe://default/web');
  });

  it('signs exactly the revisions the request names: waits for a newer one, answers stale for another', async () => {
    const request = await asked('default', 'web-1', anyCsr());
    const dpKey = { type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' } as const;
    // Named a revision this store has not caught up with: waited for, then signed from it.
    const watching = watched();
    const patient = new IssueCertificateUseCase(store, registry, clock, undefined, 60_000);
    const renamed = {
      networking: { ...dataplane.networking, inbound: [{ port: 8080, tags: { 'kuma.io/service': 'api' } }] },
    };
    const next = await nextVersion();
    const pending = patient.execute({ ...request, dataplaneVersion: next });
    await watching;
    const updated = await store.update(dpKey, renamed, request.dataplaneVersion);
    expect(updated.meta.version).toBe(next);
    expect(new X509Certificate((await pending).certificate.certPem).subjectAltName).toBe(
      'URI:spiffe://default/api, URI:kuma://kuma.io/service/api',
    );

    // Named an older revision than the store holds (mesh-api behind): nothing is signed.
    await expect(issue.execute(request)).rejects.toMatchObject({
      code: 'ca.stale-request',
      message: expect.stringContaining(
        `the Dataplane of default/web-1 is at revision ${updated.meta.version}`,
      ),
    });
    // A backend that is not the one enabled at the named revision: nothing is signed.
    const current = await asked('default', 'web-1', anyCsr());
    await expect(issue.execute({ ...current, backend: 'ca-2' })).rejects.toMatchObject({
      code: 'ca.stale-request',
      message: expect.stringContaining('the request names backend "ca-2"'),
    });
    // A revision that never comes: after the wait, stale rather than signed from another one.
    await expect(issue.execute({ ...current, meshVersion: current.meshVersion + 100 })).rejects.toMatchObject(
      { code: 'ca.stale-request' },
    );
  });

  it('signs from the backend a CA switch comes from only while the switch holds issuance there', async () => {
    const meshKey = { type: ResourceType.Mesh, name: 'default' } as const;
    const held = (await store.get(meshKey))!;
    await store.update(meshKey, { mtls: { ...mtls, enabledBackend: 'ca-2' } }, held.meta.version);
    const switchKey = { type: ResourceType.CaSwitch, mesh: 'default', name: 'default' } as const;
    const at = clock.now().toISOString();
    const sw = {
      id: 's1',
      from: 'ca-1',
      to: 'ca-2',
      state: 'waiting-for-bundle',
      retained: [],
      startedAt: at,
      stateSince: at,
    };
    // No switch record: ca-1 is not the enabled backend, so nothing is signed from it.
    await expect(
      issue.execute(await asked('default', 'web-1', anyCsr(), { backend: 'ca-1' })),
    ).rejects.toMatchObject({
      code: 'ca.stale-request',
    });
    const created = await store.create(switchKey, sw);
    const issued = await issue.execute(await asked('default', 'web-1', anyCsr(), { backend: 'ca-1' }));
    expect(issued.certificate.backend).toBe('ca-1');
    // A replica a moment behind may still ask ca-1 while the new backend reissues.
    const reissuing = await store.update(switchKey, { ...sw, state: 'reissuing' }, created.meta.version);
    await expect(
      issue.execute(await asked('default', 'web-1', anyCsr(), { backend: 'ca-1' })),
    ).resolves.toBeDefined();
    // Once done, only the enabled backend signs.
    await store.update(switchKey, { ...sw, state: 'done' }, reissuing.meta.version);
    await expect(
      issue.execute(await asked('default', 'web-1', anyCsr(), { backend: 'ca-1' })),
    ).rejects.toMatchObject({
      code: 'ca.stale-request',
    });
    expect((await issue.execute(await asked('default', 'web-1', anyCsr()))).certificate.backend).toBe('ca-2');
  });
});
