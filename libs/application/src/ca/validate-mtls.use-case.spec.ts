import { validateMtls } from '@meshtls/contracts';
import { ValidationError } from '@meshtls/domain';
import { InProcessBus, MemoryResourceStore } from '@meshtls/store';
import { FakeClock } from '@meshtls/util';
import { ApplyResourceUseCase } from '../resources/apply-resource.use-case';
import { BuiltinCaManager } from './builtin-ca.manager';
import { CaRegistry } from './ca-registry';
import { DataSourceReader } from './data-source.reader';
import { BusMeshCaGateway } from './mesh-ca.gateway';
import { ProvidedCaManager } from './provided-ca.manager';
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
  const registry = new CaRegistry({
    builtin: new BuiltinCaManager(store, clock),
    provided: new ProvidedCaManager(new DataSourceReader(store), clock),
  });
  const validate = new ValidateMtlsUseCase(registry);
  bus.serve(validateMtls, (request) => validate.execute(request), { queue: 'ca-signer' });
  const apply = new ApplyResourceUseCase(store, new BusMeshCaGateway(bus));

  afterAll(() => bus.close());

  async function keyViolation(file: string, caller?: 'admin' | 'anonymous'): Promise<string> {
    const error = await apply
      .execute({ target: { type: 'Mesh', name: 'files' }, document: mesh(file), caller })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ValidationError);
    const violation = (error as ValidationError).violations.find((v) => v.field.endsWith('.key.file'));
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
});
