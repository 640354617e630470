import { generateKeyPairSync } from 'node:crypto';
import { ResourceType, type MtlsBackend } from '@meshtls/domain';
import { createCsr, createBuiltinCa, SigningCa } from '@meshtls/pki';
import { MemoryResourceStore } from '@meshtls/store';
import { FakeClock } from '@meshtls/util';
import { BuiltinCaManager } from '../ca/builtin-ca.manager';
import { CaRegistry } from '../ca/ca-registry';
import { DataSourceReader } from '../ca/data-source.reader';
import { IssueCertificateUseCase, type IssueCertificateResult } from '../ca/issue-certificate.use-case';
import { ProvidedCaManager } from '../ca/provided-ca.manager';
import { IssuedIdentityRejectedError, IssuedIdentityVerifier } from './issued-identity.verifier';

const clock = new FakeClock('2026-06-01T00:00:00Z');
const backend = { name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1d' } } } as MtlsBackend;
const mtls = { enabledBackend: 'ca-1', backends: [backend, { name: 'ca-2', type: 'builtin' }] };
const inbound = (service: string) => ({
  networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': service } }] },
});

/**
 * mesh-api's check of what ca-signer answers. The answers here are made by the real use case (or the
 * real CA, for the forged ones), so each refusal is of a certificate a CA really signed.
 */
describe('IssuedIdentityVerifier', () => {
  let store: MemoryResourceStore;
  let registry: CaRegistry;
  let issue: IssueCertificateUseCase;
  let verifier: IssuedIdentityVerifier;
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csrPem = createCsr(key);
  const command = { mesh: 'default', dataplane: 'web-1', reason: 'new' as const, csrPem };

  beforeEach(async () => {
    store = new MemoryResourceStore(clock);
    const builtin = new BuiltinCaManager(store, clock);
    registry = new CaRegistry({
      builtin,
      provided: new ProvidedCaManager(new DataSourceReader(store), clock),
    });
    issue = new IssueCertificateUseCase(store, registry, clock);
    verifier = new IssuedIdentityVerifier(store, clock);
    await store.create({ type: ResourceType.Mesh, name: 'default' }, { mtls });
    await store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' }, inbound('web'));
    await store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'db-1' }, inbound('db'));
    for (const b of mtls.backends) await builtin.ensure('default', b as never);
  });

  const rejection = (answer: IssueCertificateResult, asked = command) =>
    verifier.verify(asked, answer).then(
      () => undefined,
      (error: unknown) => {
        expect(error).toBeInstanceOf(IssuedIdentityRejectedError);
        return (error as Error).message;
      },
    );

  /** A certificate the mesh's real CA signs, with whatever key, names and validity the forger picks. */
  const forged = async (over: { publicKey?: typeof key.publicKey; uris?: string[]; validityMs?: number }) => {
    const genuine = await issue.execute(command);
    const ca = await registry.signingCa('default', backend);
    const cert = ca.issue({
      publicKey: over.publicKey ?? key.publicKey,
      uris: over.uris ?? ['spiffe://default/web'],
      validityMs: over.validityMs ?? 86_400_000,
      now: clock.now(),
    });
    return {
      ...genuine,
      certificate: {
        ...genuine.certificate,
        certPem: cert.certPem,
        serial: cert.serial,
        notBefore: cert.notBefore.toISOString(),
        notAfter: cert.notAfter.toISOString(),
        uris: over.uris ?? genuine.certificate.uris,
      },
    };
  };

  it('forwards a genuine answer, with the trust bundle of its own store', async () => {
    const genuine = await issue.execute(command);
    const checked = await verifier.verify(command, genuine);
    expect(checked.certificate).toEqual(genuine.certificate);
    expect(checked.trustBundle).toEqual(genuine.trustBundle);
    expect(checked.trustBundle.map((a) => a.backend)).toEqual(['ca-1', 'ca-2']);
  });

  it('replaces an anchor slipped into the answer’s trust bundle by its own', async () => {
    const genuine = await issue.execute(command);
    const rogue = await createBuiltinCa({
      mesh: 'default',
      backend: 'ca-2',
      rsaBits: 2048,
      validityMs: 86_400_000,
      now: clock.now(),
    });
    const answer = {
      ...genuine,
      trustBundle: [genuine.trustBundle[0]!, { backend: 'ca-2', certPem: rogue.certPem }],
    };
    const checked = await verifier.verify(command, answer);
    expect(checked.trustBundle).toEqual(genuine.trustBundle);
    expect(checked.trustBundle[1]!.certPem).not.toBe(rogue.certPem);
  });

  it('refuses a certificate of another CA, even one named like the mesh’s', async () => {
    const genuine = await issue.execute(command);
    const rogue = await createBuiltinCa({
      mesh: 'default',
      backend: 'ca-1',
      rsaBits: 2048,
      validityMs: 86_400_000,
      now: clock.now(),
    });
    const cert = SigningCa.load({ certChainPem: rogue.certPem, keyPem: rogue.keyPem }).issue({
      publicKey: key.publicKey,
      uris: ['spiffe://default/web'],
      validityMs: 86_400_000,
      now: clock.now(),
    });
    const answer = {
      ...genuine,
      certificate: { ...genuine.certificate, certPem: cert.certPem, serial: cert.serial },
    };
    expect(await rejection(answer)).toMatch(/does not verify with the CA public key/);
  });

  it('refuses a certificate for a key that is not the CSR’s', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(await rejection(await forged({ publicKey: other.publicKey }))).toMatch(
      /public key is not the CSR’s/,
    );
  });

  it('refuses names the Dataplane’s tags do not give', async () => {
    expect(await rejection(await forged({ uris: ['spiffe://default/db'] }))).toMatch(/carries SAN URIs/);
    // A genuine web-1 certificate answered for db-1.
    expect(await rejection(await issue.execute(command), { ...command, dataplane: 'db-1' })).toMatch(
      /carries SAN URIs \[spiffe:\/\/default\/web\] instead of \[spiffe:\/\/default\/db\]/,
    );
  });

  it('refuses a validity other than the backend’s', async () => {
    expect(await rejection(await forged({ validityMs: 365 * 86_400_000 }))).toMatch(/not the backend's/);
  });

  it('refuses facts stated beside the certificate that are not the certificate’s', async () => {
    const genuine = await issue.execute(command);
    const later = new Date(Date.parse(genuine.certificate.notAfter) + 86_400_000).toISOString();
    for (const certificate of [
      { ...genuine.certificate, serial: '01' },
      { ...genuine.certificate, notAfter: later },
      { ...genuine.certificate, uris: ['spiffe://default/db'] },
      { ...genuine.certificate, chainPem: genuine.trustBundle[1]!.certPem },
    ]) {
      expect(await rejection({ ...genuine, certificate })).toMatch(/stated beside it/);
    }
  });

  it('refuses a backend the mesh does not have, or whose CA it cannot read', async () => {
    const genuine = await issue.execute(command);
    expect(await rejection({ ...genuine, certificate: { ...genuine.certificate, backend: 'ca-9' } })).toMatch(
      /backend "ca-9" is not a backend of the mesh/,
    );
    await store.delete({ type: ResourceType.Secret, mesh: 'default', name: 'default.ca-builtin-cert-ca-1' });
    expect(await rejection(genuine)).toMatch(/CA of backend "ca-1" cannot be read here/);
  });
});
