import { ensureCaBackends, validateMtls } from '@meshtls/contracts';
import { ValidationError } from '@meshtls/domain';
import { generateKeyPairSync } from 'node:crypto';
import { selfSignedCaCertificate } from '@meshtls/pki';
import { InProcessBus } from '@meshtls/bus';
import { MemoryResourceStore, SecretCipher } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { ApplyResourceUseCase } from '../mesh-api/resources/apply-resource.use-case';
import { storeCas } from './ca-registry.test-support';
import { EnsureCaBackendsUseCase } from './ensure-ca-backends.use-case';
import { BusMeshCaGateway } from '../mesh-api/ca-gateway/mesh-ca.gateway';
import { MtlsKeySeal } from '../shared/mtls-key-seal';
import { ValidateMtlsUseCase } from './validate-mtls.use-case';

const clock = new FakeClock('2026-06-01T00:00:00Z');
const mesh = (file: string) => ({
  type: 'Mesh',
  name: 'files',
  mtls: {
    enabledBackend: 'corp',
    backends: [{ name: 'corp', type: 'provided', conf: { cert: { file }, key: { file } } }],
  },
});

/** mesh-api's apply and ca-signer's validation, joined by the bus as in one standalone process. */
describe('who is told why a file data source could not be read', () => {
  const store = new MemoryResourceStore(clock);
  const bus = new InProcessBus();
  const { registry } = storeCas(store, clock);
  const validate = new ValidateMtlsUseCase(registry);
  // mesh-api seals inline keys with the at-rest key, ca-signer opens them (as CaSignerService does).
  const keys = new MtlsKeySeal(new SecretCipher(SecretCipher.generateKey()));
  const sent: string[] = [];
  bus.serve(
    validateMtls,
    (request) => {
      sent.push(JSON.stringify(request));
      return validate.execute({ ...request, mtls: keys.open(request.mesh, request.mtls) });
    },
    { queue: 'ca-signer' },
  );
  const ensure = new EnsureCaBackendsUseCase(registry);
  bus.serve(
    ensureCaBackends,
    (request) => ensure.execute({ ...request, mtls: keys.open(request.mesh, request.mtls) }),
    { queue: 'ca-signer' },
  );
  const apply = new ApplyResourceUseCase(store, new BusMeshCaGateway(bus, keys));

  afterAll(() => bus.close());

  async function keyViolation(file: string, caller?: 'admin' | 'anonymous'): Promise<string> {
    const error = await apply
      .execute({ target: { type: 'Mesh', name: 'files' }, document: mesh(file), caller })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ValidationError);
    const violation = (error as ValidationError).violations.find((v) => v.field.endsWith('.conf.key'));
    return violation!.message;
  }

  it('the admin, from the apply through the bus to the reader', async () => {
    expect(await keyViolation('/nonexistent/ca.pem', 'admin')).toBe(
      'could not load data: cannot read file "/nonexistent/ca.pem": no such file (ENOENT)',
    );
    expect(await keyViolation('/dev/zero', 'admin')).toBe(
      'could not load data: cannot read file "/dev/zero": not a regular file',
    );
  });

  it('no one else: a missing file and a device read the same', async () => {
    for (const caller of ['anonymous', undefined] as const) {
      const [missing, device] = [
        await keyViolation('/nonexistent/ca.pem', caller),
        await keyViolation('/dev/zero', caller),
      ];
      expect(missing.replace('/nonexistent/ca.pem', 'PATH')).toBe(device.replace('/dev/zero', 'PATH'));
      expect(missing).toBe(
        'could not load data: cannot read file "/nonexistent/ca.pem" (it must be a regular file of at most 1 MiB ' +
          'that the control plane can read)',
      );
    }
  });

  it('an inline CA key crosses the bus sealed, and is validated as it was applied', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const certPem = selfSignedCaCertificate({
      privateKey,
      publicKey,
      subject: { commonName: 'inline' },
      uris: ['spiffe://inline'],
      validityMs: 86_400_000,
      now: clock.now(),
    });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const inline = (key: string) => ({
      type: 'Mesh',
      name: 'inline',
      mtls: {
        enabledBackend: 'corp',
        backends: [
          {
            name: 'corp',
            type: 'provided',
            conf: { cert: { inlineString: certPem }, key: { inlineString: key } },
          },
        ],
      },
    });
    sent.length = 0;
    const applied = await apply.execute({
      target: { type: 'Mesh', name: 'inline' },
      document: inline(keyPem),
      caller: 'admin',
    });
    expect(applied).toBeDefined();
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toContain('PRIVATE KEY');
    expect(sent[0]).toContain('"inlineString":"enc:v1:');
    // What ca-signer opened is the key that was applied: another key fails the key/certificate check.
    const mismatch = await apply
      .execute({
        target: { type: 'Mesh', name: 'inline' },
        document: inline(other.export({ type: 'pkcs8', format: 'pem' }) as string),
        caller: 'admin',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(mismatch).toBeInstanceOf(ValidationError);
  });
});
