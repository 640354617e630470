import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { ResourceType, secretBytes, type MtlsBackend, type SecretSpec } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { BuiltinCaManager } from './builtin-ca.manager';

const backend: MtlsBackend = { name: 'ca-1', type: 'builtin' };
const certKey = { type: ResourceType.Secret, mesh: 'default', name: 'default.ca-builtin-cert-ca-1' };
const keyKey = { type: ResourceType.Secret, mesh: 'default', name: 'default.ca-builtin-key-ca-1' };

async function pemOf(store: MemoryResourceStore, key: typeof certKey): Promise<string> {
  const record = await store.get(key);
  return secretBytes(record!.spec as SecretSpec).toString('utf8');
}

describe('BuiltinCaManager', () => {
  let store: MemoryResourceStore;
  const clock = new FakeClock('2026-06-01T00:00:00Z');

  beforeEach(async () => {
    store = new MemoryResourceStore(clock);
    await store.create({ type: ResourceType.Mesh, name: 'default' }, {});
  });

  it('creates the CA as two Secrets: a self-signed CA:TRUE certificate and its key', async () => {
    expect(await new BuiltinCaManager(store, clock).ensure('default', backend)).toBe('created');
    const cert = new X509Certificate(await pemOf(store, certKey));
    expect(cert.ca).toBe(true);
    expect(cert.subjectAltName).toBe('URI:spiffe://default');
    expect(cert.checkPrivateKey(createPrivateKey(await pemOf(store, keyKey)))).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(Date.parse(cert.validTo) - clock.now().getTime()).toBeGreaterThan(9.9 * 365 * 86_400_000);
  });

  it('creates exactly one CA when several replicas race, and never regenerates it', async () => {
    const managers = [1, 2, 3, 4].map(
      () => new BuiltinCaManager(store, clock, { sleep: () => Promise.resolve() }),
    );
    const outcomes = await Promise.all(managers.map((m) => m.ensure('default', backend)));
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    const cert = new X509Certificate(await pemOf(store, certKey));
    expect(cert.checkPrivateKey(createPrivateKey(await pemOf(store, keyKey)))).toBe(true);
    const versions = [(await store.get(certKey))!.meta.version, (await store.get(keyKey))!.meta.version];
    expect(await managers[0].ensure('default', backend)).toBe('existing');
    expect([(await store.get(certKey))!.meta.version, (await store.get(keyKey))!.meta.version]).toEqual(
      versions,
    );
  });

  it('certifies the stored key when its creator died before storing the certificate', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await store.create(keyKey, { data: Buffer.from(keyPem).toString('base64') });
    const manager = new BuiltinCaManager(store, clock, {
      certificateWaitMs: 100,
      sleep: () => Promise.resolve(),
    });
    expect(await manager.ensure('default', backend)).toBe('existing');
    const cert = new X509Certificate(await pemOf(store, certKey));
    expect(cert.checkPrivateKey(privateKey)).toBe(true);
    expect(cert.ca).toBe(true);
  });

  it('loads the stored CA for signing', async () => {
    const manager = new BuiltinCaManager(store, clock);
    await manager.ensure('default', backend);
    const loaded = await manager.load('default', backend);
    expect(loaded.trustAnchorPem).toBe(await pemOf(store, certKey));
  });

  it("refuses, on Kuma's path, a backend name that makes its Secret names longer than a resource name", async () => {
    const manager = new BuiltinCaManager(store, clock);
    // 253 characters in all, in labels of at most 63
    const fits = [
      'b'.repeat(40),
      'c'.repeat(63),
      'd'.repeat(63),
      'e'.repeat(253 - 24 - 40 - 63 - 63 - 3),
    ].join('.');
    expect(`default.ca-builtin-cert-${fits}`).toHaveLength(253);
    expect(await manager.validate('default', { name: fits, type: 'builtin' }, 0)).toEqual({
      violations: [],
      warnings: [],
    });
    expect(await manager.validate('default', { name: `${fits}b`, type: 'builtin' }, 2)).toEqual({
      violations: [
        {
          field: 'mtls.backends[2].conf.mtls.backends.name',
          message: 'Backend name is too long. Max length: 253',
        },
      ],
      warnings: [],
    });
  });

  it("refuses, on Kuma's path, a backend name that makes a label of its Secret names longer than DNS allows", async () => {
    const manager = new BuiltinCaManager(store, clock);
    const validate = (name: string) => manager.validate('default', { name, type: 'builtin' }, 0);
    // `ca-builtin-cert-` and the first label of the name make one label
    expect((await validate(`${'a'.repeat(47)}.${'b'.repeat(63)}`)).violations).toEqual([]);
    expect((await validate('a'.repeat(48))).violations).toEqual([
      {
        field: 'mtls.backends[0].conf.mtls.backends.name',
        message: `"${'a'.repeat(48)}" name must be valid dns name`,
      },
    ]);
    expect((await validate(`a.${'b'.repeat(64)}`)).violations).toEqual([
      {
        field: 'mtls.backends[0].conf.mtls.backends.name',
        message: `"a.${'b'.repeat(64)}" name must be valid dns name`,
      },
    ]);
  });
});
