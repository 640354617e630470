import { generateKeyPairSync } from 'node:crypto';
import { ResourceType, type MtlsBackend } from '@meshtls/domain';
import { createCsr, createBuiltinCa, SigningCa } from '@meshtls/pki';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { BuiltinCaManager } from '../../ca-signer/builtin-ca.manager';
import type { CaRegistry } from '../../ca-signer/ca-registry';
import { storeCas } from '../../ca-signer/ca-registry.test-support';
import { IssueCertificateUseCase } from '../../ca-signer/issue-certificate.use-case';
import { StaleIssueRequestError, type IssueCertificateResult } from '../../ports/issue-certificate.contract';
import type { SignCommand } from './identity-issuer';
import {
  IssuedIdentityRejectedError,
  IssuedIdentityVerifier,
  type IssuanceFacts,
} from './issued-identity.verifier';
import { VerifyingIdentityIssuer } from './verifying-identity.issuer';

const signCommand = (
  base: { mesh: string; dataplane: string; reason: 'new'; csrPem: string },
  f: IssuanceFacts,
): SignCommand => ({
  ...base,
  meshVersion: f.mesh.meta.version,
  dataplaneVersion: f.dataplane.meta.version,
  backend: f.backend.name,
});

const clock = new FakeClock('2026-06-01T00:00:00Z');
const backend = { name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1d' } } } as MtlsBackend;
const mtls = { enabledBackend: 'ca-1', backends: [backend, { name: 'ca-2', type: 'builtin' }] };
/** A CA of mesh "default" that is not the one its store holds, named `name`. */
const rogueCa = (name: string) =>
  createBuiltinCa({
    mesh: 'default',
    backend: name,
    rsaBits: 2048,
    validityMs: 86_400_000,
    now: clock.now(),
  });
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
  let facts: IssuanceFacts;
  /** The request mesh-api makes for web-1: the revisions and backend its store holds. */
  let asked: SignCommand;
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csrPem = createCsr(key);
  const command = { mesh: 'default', dataplane: 'web-1', reason: 'new' as const, csrPem };

  beforeEach(async () => {
    store = new MemoryResourceStore(clock);
    const cas = storeCas(store, clock);
    registry = cas.registry;
    issue = new IssueCertificateUseCase(store, registry, clock);
    verifier = new IssuedIdentityVerifier(store, clock);
    await store.create({ type: ResourceType.Mesh, name: 'default' }, { mtls });
    await store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' }, inbound('web'));
    await store.create({ type: ResourceType.Dataplane, mesh: 'default', name: 'db-1' }, inbound('db'));
    for (const b of mtls.backends) await cas.builtin.ensure('default', b as never);
    facts = await verifier.facts('default', 'web-1');
    asked = signCommand(command, facts);
  });

  const rejection = async (answer: IssueCertificateResult, dataplane = 'web-1') =>
    verifier.verify({ ...asked, dataplane }, await verifier.facts('default', dataplane), answer).then(
      () => undefined,
      (error: unknown) => {
        expect(error).toBeInstanceOf(IssuedIdentityRejectedError);
        return (error as Error).message;
      },
    );

  /** A certificate the mesh's real CA signs, with whatever key, names and validity the forger picks. */
  const forged = async (over: { publicKey?: typeof key.publicKey; uris?: string[]; validityMs?: number }) => {
    const genuine = await issue.execute(asked);
    const ca = await registry.signingCa('default', backend);
    const cert = ca.issue({
      publicKey: over.publicKey ?? key.publicKey,
      uris: over.uris ?? ['spiffe://default/web', 'kuma://kuma.io/service/web'],
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
    const genuine = await issue.execute(asked);
    const checked = await verifier.verify(asked, facts, genuine);
    expect(checked.certificate).toEqual(genuine.certificate);
    expect(checked.trustBundle).toEqual(genuine.trustBundle);
    expect(checked.trustBundle.map((a) => a.backend)).toEqual(['ca-1', 'ca-2']);
  });

  it('replaces an anchor slipped into the answer’s trust bundle by its own', async () => {
    const genuine = await issue.execute(asked);
    const rogue = await rogueCa('ca-2');
    const answer = {
      ...genuine,
      trustBundle: [genuine.trustBundle[0]!, { backend: 'ca-2', certPem: rogue.certPem }],
    };
    const checked = await verifier.verify(asked, facts, answer);
    expect(checked.trustBundle).toEqual(genuine.trustBundle);
    expect(checked.trustBundle[1]!.certPem).not.toBe(rogue.certPem);
  });

  it('refuses a certificate of another CA, even one named like the mesh’s', async () => {
    const genuine = await issue.execute(asked);
    const rogue = await rogueCa('ca-1');
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
    expect(await rejection(await issue.execute(asked), 'db-1')).toMatch(
      'carries SAN URIs [spiffe://default/web, kuma://kuma.io/service/web] instead of ' +
        '[spiffe://default/db, kuma://kuma.io/service/db]',
    );
  });

  it('refuses a validity other than the backend’s', async () => {
    expect(await rejection(await forged({ validityMs: 365 * 86_400_000 }))).toMatch(/not the backend's/);
  });

  it('refuses facts stated beside the certificate that are not the certificate’s', async () => {
    const genuine = await issue.execute(asked);
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

  it('refuses another backend than the enabled one it asked for, or one whose CA it cannot read', async () => {
    const genuine = await issue.execute(asked);
    for (const other of ['ca-9', 'ca-2']) {
      expect(
        await rejection({ ...genuine, certificate: { ...genuine.certificate, backend: other } }),
      ).toMatch(`it comes from backend "${other}", not the enabled "ca-1" asked for`);
    }
    await store.delete({ type: ResourceType.Secret, mesh: 'default', name: 'default.ca-builtin-cert-ca-1' });
    expect(await rejection(genuine)).toMatch(/CA of backend "ca-1" cannot be read here/);
  });

  it('reads a CA once, and again once its Secret changed (followed through the store watch)', async () => {
    const stops = [verifier.followChanges(), registry.followChanges(store)];
    const reads = jest.spyOn(store, 'get');
    const secretReads = () => reads.mock.calls.filter(([k]) => k.type === ResourceType.Secret).length;
    const first = await issue.execute(asked);
    await verifier.verify(asked, facts, first);
    const afterFirst = secretReads();
    await verifier.verify(asked, facts, await issue.execute(asked));
    expect(secretReads()).toBe(afterFirst);

    // The builtin CA is replaced (deleted, made again): the next check reads the new one.
    for (const kind of ['cert', 'key']) {
      await store.delete({
        type: ResourceType.Secret,
        mesh: 'default',
        name: `default.ca-builtin-${kind}-ca-1`,
      });
    }
    await new BuiltinCaManager(store, clock).ensure('default', backend);
    const second = await issue.execute(asked);
    expect(second.certificate.certPem).not.toBe(first.certificate.certPem);
    await expect(verifier.verify(asked, facts, second)).resolves.toMatchObject({
      certificate: second.certificate,
    });
    expect(await rejection(first)).toMatch(/does not verify with the CA public key|does not name the CA/);
    stops.forEach((stop) => stop());
  });

  describe('VerifyingIdentityIssuer', () => {
    it('asks for the revisions and backend of its own store and forwards the checked answer', async () => {
      const sent: SignCommand[] = [];
      const issuer = new VerifyingIdentityIssuer(async (c) => {
        sent.push(c);
        return issue.execute(c);
      }, verifier);
      const issued = await issuer.issue(command);
      expect(sent).toEqual([asked]);
      expect(issued.certificate.backend).toBe('ca-1');
    });

    it('after a stale answer, waits for its own store to catch up and asks with what it then holds', async () => {
      const sent: SignCommand[] = [];
      const dpKey = { type: ResourceType.Dataplane, mesh: 'default', name: 'web-1' } as const;
      // ca-signer already holds a newer Dataplane than this store: it answers stale until asked for it.
      let newer: number | undefined;
      const issuer = new VerifyingIdentityIssuer(async (c) => {
        sent.push(c);
        if (newer === undefined) {
          newer = (await store.update(dpKey, inbound('api'), c.dataplaneVersion)).meta.version;
        }
        if (c.dataplaneVersion !== newer) throw new StaleIssueRequestError('the Dataplane is newer here');
        return issue.execute(c);
      }, verifier);
      const issued = await issuer.issue(command);
      expect(sent.map((c) => c.dataplaneVersion)).toEqual([asked.dataplaneVersion, newer]);
      expect(issued.certificate.uris).toEqual(['spiffe://default/api', 'kuma://kuma.io/service/api']);
    });

    it('gives up after a few stale answers, and asks nothing of a mesh without mTLS', async () => {
      let asks = 0;
      const stale = new VerifyingIdentityIssuer(async () => {
        asks++;
        // Each stale answer comes with a change here, so the wait for this store ends at once.
        const m = (await store.get({ type: ResourceType.Mesh, name: 'default' }))!;
        await store.update(m.meta, m.spec, m.meta.version);
        throw new StaleIssueRequestError('never current');
      }, verifier);
      await expect(stale.issue(command)).rejects.toBeInstanceOf(StaleIssueRequestError);
      expect(asks).toBe(3);

      await store.create({ type: ResourceType.Mesh, name: 'plain' }, {});
      await store.create({ type: ResourceType.Dataplane, mesh: 'plain', name: 'dp' }, inbound('web'));
      const never = new VerifyingIdentityIssuer(async () => {
        throw new Error('asked');
      }, verifier);
      await expect(never.issue({ ...command, mesh: 'plain', dataplane: 'dp' })).rejects.toMatchObject({
        code: 'ca.mtls-disabled',
      });
    });
  });
});
