import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResourceType, type MtlsBackend } from '@meshtls/domain';
import { createBuiltinCa } from '@meshtls/pki';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { DataSourceReader } from '../shared/data-source.reader';
import { ProvidedCaManager } from './provided-ca.manager';

const clock = new FakeClock('2026-06-01T00:00:00Z');
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('ProvidedCaManager', () => {
  let store: MemoryResourceStore;
  let manager: ProvidedCaManager;
  let ca: { certPem: string; keyPem: string };
  let other: { certPem: string; keyPem: string };

  beforeAll(async () => {
    const input = {
      mesh: 'default',
      backend: 'x',
      rsaBits: 2048,
      validityMs: 86_400_000 * 365,
      now: clock.now(),
    };
    [ca, other] = await Promise.all([createBuiltinCa(input), createBuiltinCa(input)]);
  });

  beforeEach(async () => {
    store = new MemoryResourceStore(clock);
    manager = new ProvidedCaManager(new DataSourceReader(store), clock);
    await store.create({ type: ResourceType.Mesh, name: 'default' }, {});
  });

  const provided = (cert: object, key: object): MtlsBackend => ({
    name: 'ca-2',
    type: 'provided',
    conf: { cert, key } as never,
  });

  it('accepts a CA from every kind of data source', async () => {
    await store.create(
      { type: ResourceType.Secret, mesh: 'default', name: 'ca-cert' },
      { data: b64(ca.certPem) },
    );
    const dir = mkdtempSync(join(tmpdir(), 'meshtls-provided-'));
    writeFileSync(join(dir, 'key.pem'), ca.keyPem);
    for (const backend of [
      provided({ secret: 'ca-cert' }, { file: join(dir, 'key.pem') }),
      provided({ inline: b64(ca.certPem) }, { inlineString: ca.keyPem }),
    ]) {
      expect(await manager.validate('default', backend, 1)).toEqual({ violations: [], warnings: [] });
    }
  });

  it('reports unreadable sources on their field, all at once; why a file failed only to an admin', async () => {
    const backend = provided({ secret: 'missing' }, { file: '/nonexistent/key.pem' });
    const missingSecret = {
      field: 'mtls.backends[1].conf.cert',
      message: 'could not load data: secret "missing" not found in mesh "default"',
    };
    expect((await manager.validate('default', backend, 1, { admin: true })).violations).toEqual([
      missingSecret,
      {
        field: 'mtls.backends[1].conf.key',
        message: 'could not load data: cannot read file "/nonexistent/key.pem": no such file (ENOENT)',
      },
    ]);
    expect((await manager.validate('default', backend, 1)).violations).toEqual([
      missingSecret,
      {
        field: 'mtls.backends[1].conf.key',
        message:
          'could not load data: cannot read file "/nonexistent/key.pem" (it must be a regular file of at most ' +
          '1 MiB that the control plane can read)',
      },
    ]);
  });

  it('refuses /dev/zero as a key file at once', async () => {
    const report = await manager.validate(
      'default',
      provided({ inlineString: ca.certPem }, { file: '/dev/zero' }),
      0,
      { admin: true },
    );
    expect(report.violations).toEqual([
      {
        field: 'mtls.backends[0].conf.key',
        message: 'could not load data: cannot read file "/dev/zero": not a regular file',
      },
    ]);
  });

  it('refuses a key that does not match the certificate', async () => {
    const report = await manager.validate(
      'default',
      provided({ inlineString: ca.certPem }, { inlineString: other.keyPem }),
      0,
    );
    expect(report.violations).toEqual([
      {
        field: 'mtls.backends[0].conf.cert',
        message: 'not a valid TLS key pair: tls: private key does not match public key',
      },
    ]);
  });

  it("skips the CA checks when the Mesh sets Kuma's mtls.skipValidation, but still reads the sources", async () => {
    const mismatched = provided({ inlineString: ca.certPem }, { inlineString: other.keyPem });
    expect(await manager.validate('default', mismatched, 0, { skipValidation: true })).toEqual({
      violations: [],
      warnings: [],
    });
    const unreadable = provided({ inlineString: ca.certPem }, { secret: 'missing' });
    expect((await manager.validate('default', unreadable, 0, { skipValidation: true })).violations).toEqual([
      {
        field: 'mtls.backends[0].conf.key',
        message: 'could not load data: secret "missing" not found in mesh "default"',
      },
    ]);
  });

  it("fails a load with Kuma's wording, naming the mesh, the backend and the reason", async () => {
    const missing = provided({ inlineString: ca.certPem }, { secret: 'missing' });
    await expect(manager.load('default', missing)).rejects.toThrow(
      `failed to load CA key pair for Mesh "default" and backend "${missing.name}": ` +
        'could not load data: secret "missing" not found in mesh "default"',
    );
    const mismatched = provided({ inlineString: ca.certPem }, { inlineString: other.keyPem });
    await expect(manager.load('default', mismatched)).rejects.toThrow(
      `failed to load CA key pair for Mesh "default" and backend "${mismatched.name}": ` +
        'not a valid TLS key pair: tls: private key does not match public key',
    );
  });
});
