import { FakeClock } from '@meshtls/util';
import { SecretCipher, SecretDecryptionError } from '../crypto/secret-cipher';
import type { ResourceChange } from '../ports/resource.store';
import { describeResourceStoreContract } from '../testing/resource-store.contract';
import { EncryptedResourceStore } from './encrypted-resource.store';
import { MemoryResourceStore } from './memory-resource.store';

describeResourceStoreContract('encrypted over memory', async (clock) => ({
  store: new EncryptedResourceStore(
    new MemoryResourceStore(clock),
    new SecretCipher(SecretCipher.generateKey()),
  ),
}));

describe('EncryptedResourceStore', () => {
  const key = SecretCipher.generateKey();
  const secret = { type: 'Secret', mesh: 'default', name: 'default.ca-builtin-key-ca-1' } as const;
  let inner: MemoryResourceStore;
  let store: EncryptedResourceStore;

  beforeEach(() => {
    inner = new MemoryResourceStore(new FakeClock());
    store = new EncryptedResourceStore(inner, new SecretCipher(key));
  });

  it('stores Secret and GlobalSecret data encrypted and returns it decrypted', async () => {
    const created = await store.create(secret, { data: 'UFJJVkFURSBLRVk=' });
    await store.create({ type: 'GlobalSecret', name: 'g' }, { data: 'Z2xvYmFs' });
    expect(created.spec).toEqual({ data: 'UFJJVkFURSBLRVk=' });
    const raw = (await inner.get(secret))!.spec as { data: string };
    expect(raw.data.startsWith('enc:v1:')).toBe(true);
    expect(JSON.stringify(raw)).not.toContain('UFJJVkFURSBLRVk=');
    expect(((await inner.get({ type: 'GlobalSecret', name: 'g' }))!.spec as { data: string }).data).toMatch(
      /^enc:v1:/,
    );
    expect((await store.get(secret))?.spec).toEqual({ data: 'UFJJVkFURSBLRVk=' });
    expect((await store.list('Secret')).items[0]?.spec).toEqual({ data: 'UFJJVkFURSBLRVk=' });
    const updated = await store.update(secret, { data: 'bmV3' }, created.meta.version);
    expect(updated.spec).toEqual({ data: 'bmV3' });
  });

  it('passes other types through, and refuses a plaintext value where a Secret should be', async () => {
    await store.create({ type: 'Mesh', name: 'default' }, { data: 'not a secret' });
    expect((await inner.get({ type: 'Mesh', name: 'default' }))?.spec).toEqual({ data: 'not a secret' });
    // Written straight into the store (the KV bucket), around the encryption: never honoured.
    const forged = {
      type: 'Secret',
      mesh: 'default',
      name: 'dataplane-token-signing-key-default-1',
    } as const;
    await inner.create(forged, { data: 'cGxhaW4=' });
    await expect(store.get(forged)).rejects.toMatchObject({ code: 'secret.decrypt-failed' });
    await expect(store.get(forged)).rejects.not.toThrow(/cGxhaW4=/);
    const errors: Error[] = [];
    const watching = new EncryptedResourceStore(inner, new SecretCipher(key), {
      onWatchError: (e) => errors.push(e),
    });
    const seen: ResourceChange[] = [];
    const stop = watching.watch((c) => seen.push(c));
    await inner.update(forged, { data: 'b3RoZXI=' }, (await inner.get(forged))!.meta.version);
    stop();
    expect(seen).toEqual([]);
    expect(errors.map((e) => (e as SecretDecryptionError).code)).toEqual(['secret.decrypt-failed']);
  });

  it('fails with a coded error, not garbage, under another key or for a moved value', async () => {
    await store.create(secret, { data: 'c2VjcmV0' });
    const wrongKey = new EncryptedResourceStore(inner, new SecretCipher(SecretCipher.generateKey()));
    await expect(wrongKey.get(secret)).rejects.toBeInstanceOf(SecretDecryptionError);
    await expect(wrongKey.get(secret)).rejects.not.toThrow(/c2VjcmV0/);
    const moved = { ...secret, name: 'elsewhere' };
    await inner.create(moved, (await inner.get(secret))!.spec);
    await expect(store.get(moved)).rejects.toMatchObject({ code: 'secret.decrypt-failed' });
  });

  it('decrypts watched changes and reports the ones it cannot', async () => {
    const seen: ResourceChange[] = [];
    const errors: Error[] = [];
    const wrongKey = new EncryptedResourceStore(inner, new SecretCipher(SecretCipher.generateKey()), {
      onWatchError: (e) => errors.push(e),
    });
    const stopGood = store.watch((c) => seen.push(c));
    const stopWrong = wrongKey.watch((c) => seen.push(c));
    await store.create(secret, { data: 'd2F0Y2g=' });
    stopGood();
    stopWrong();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'upsert', record: { spec: { data: 'd2F0Y2g=' } } });
    expect(errors.map((e) => (e as SecretDecryptionError).code)).toEqual(['secret.decrypt-failed']);
  });

  describe('private keys held inline by a Mesh', () => {
    const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nUFJJVkFURS1LRVktTUFURVJJQUw=\n-----END PRIVATE KEY-----\n';
    const KEY_B64 = Buffer.from(KEY_PEM).toString('base64');
    const CERT_PEM = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
    const meshKey = { type: 'Mesh', name: 'default' } as const;
    const provided = (name: string, key: object) => ({
      name,
      type: 'provided',
      conf: { cert: { inlineString: CERT_PEM }, key },
    });
    const meshSpec = (
      backends = [provided('corp', { inlineString: KEY_PEM }), provided('b64', { inline: KEY_B64 })],
    ) => ({
      mtls: { enabledBackend: 'corp', backends },
    });
    type Spec = ReturnType<typeof meshSpec>;
    const keyOf = (spec: unknown, index: number) =>
      (spec as Spec).mtls.backends[index]!.conf.key as Record<string, string>;

    it('are stored encrypted, certificates as they are, and read back decrypted everywhere', async () => {
      const seen: ResourceChange[] = [];
      const stop = store.watch((c) => seen.push(c));
      const created = await store.create(meshKey, meshSpec());
      stop();
      const raw = (await inner.get(meshKey))!.spec;
      expect(JSON.stringify(raw)).not.toContain('UFJJVkFURS1LRVktTUFURVJJQUw=');
      expect(JSON.stringify(raw)).not.toContain(KEY_B64);
      expect(keyOf(raw, 0).inlineString).toMatch(/^enc:v1:/);
      expect(keyOf(raw, 1).inline).toMatch(/^enc:v1:/);
      expect((raw as Spec).mtls.backends[0]!.conf.cert).toEqual({ inlineString: CERT_PEM });
      expect(created.spec).toEqual(meshSpec());
      expect((await store.get(meshKey))!.spec).toEqual(meshSpec());
      expect((await store.list('Mesh')).items[0]!.spec).toEqual(meshSpec());
      expect(seen).toMatchObject([{ kind: 'upsert', record: { spec: meshSpec() } }]);
      const updated = await store.update(
        meshKey,
        meshSpec([provided('corp', { inlineString: 'NEW' })]),
        created.meta.version,
      );
      expect(keyOf(updated.spec, 0)).toEqual({ inlineString: 'NEW' });
      expect(keyOf((await inner.get(meshKey))!.spec, 0).inlineString).toMatch(/^enc:v1:/);
    });

    it('do not decrypt when moved to another backend or another Mesh', async () => {
      await store.create(meshKey, meshSpec());
      const sealed = keyOf((await inner.get(meshKey))!.spec, 0).inlineString!;
      await inner.create(
        { type: 'Mesh', name: 'other' },
        meshSpec([provided('corp', { inlineString: sealed })]),
      );
      await expect(store.get({ type: 'Mesh', name: 'other' })).rejects.toMatchObject({
        code: 'secret.decrypt-failed',
      });
      await inner.create(
        { type: 'Mesh', name: 'renamed' },
        meshSpec([provided('renamed', { inlineString: sealed })]),
      );
      await expect(store.get({ type: 'Mesh', name: 'renamed' })).rejects.toThrow(
        /Mesh\/renamed mtls\.backends\[name="renamed"\]\.conf\.key\.inlineString: cannot decrypt/,
      );
      const wrongKey = new EncryptedResourceStore(inner, new SecretCipher(SecretCipher.generateKey()));
      await expect(wrongKey.get(meshKey)).rejects.toBeInstanceOf(SecretDecryptionError);
    });

    it('stored in plaintext before they were encrypted keep working, are reported once, and are sealed by the next write', async () => {
      const reports: string[] = [];
      const reporting = new EncryptedResourceStore(inner, new SecretCipher(key), {
        onPlaintextKey: (m) => reports.push(m),
      });
      const legacy = await inner.create(meshKey, meshSpec([provided('corp', { inlineString: KEY_PEM })]));
      expect(keyOf((await reporting.get(meshKey))!.spec, 0)).toEqual({ inlineString: KEY_PEM });
      await reporting.list('Mesh');
      expect(reports).toEqual([
        'Mesh/default: the private key of backend "corp" (mtls.backends[0].conf.key.inlineString) is stored in ' +
          'plaintext, written before Mesh keys were encrypted at rest; apply the Mesh again to encrypt it',
      ]);
      expect(reports.join()).not.toContain('UFJJVkFURS1LRVktTUFURVJJQUw=');
      await reporting.update(meshKey, (await reporting.get(meshKey))!.spec, legacy.meta.version);
      expect(keyOf((await inner.get(meshKey))!.spec, 0).inlineString).toMatch(/^enc:v1:/);
      expect(keyOf((await reporting.get(meshKey))!.spec, 0)).toEqual({ inlineString: KEY_PEM });
      expect(reports).toHaveLength(1);
    });
  });
});
