import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ValidationError, type Violation } from '@meshtls/domain';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { ApplyResourceUseCase } from '../mesh-api/resources/apply-resource.use-case';
import type { MeshCaGateway } from '../mesh-api/ca-gateway/mesh-ca.gateway';
import { storeCas } from './ca-registry.test-support';
import { ValidateMtlsUseCase } from './validate-mtls.use-case';

/** Kuma's Mesh and CA plugin validator tests, kept as data with the e2e suite (`e2e/kuma-compat/mesh`). */
interface CompatCase {
  readonly name: string;
  readonly mesh: Record<string, unknown>;
  readonly kuma: { readonly violations: Violation[] };
  readonly difference?: { readonly reason: string; readonly meshtls: { readonly violations: Violation[] } };
}

const DATA = join(__dirname, '../../../../e2e/kuma-compat/mesh');
const FILES = ['mesh-validator.yaml', 'provided-ca.yaml', 'builtin-ca.yaml'];
const cases = (file: string): CompatCase[] =>
  (parseYaml(readFileSync(join(DATA, file), 'utf8')) as { cases: CompatCase[] }).cases;

/** A Mesh applied by the admin as mesh-api does it, its mtls checked by ca-signer's validation. */
describe("Kuma's Mesh and CA plugin validator cases, through apply and ca-signer's validation", () => {
  // The provided CAs of the data are valid for a century from when they were made.
  const clock = new FakeClock(new Date());
  const store = new MemoryResourceStore(clock);
  const validate = new ValidateMtlsUseCase(storeCas(store, clock).registry);
  // Creating builtin CAs is the e2e's part; here only what a PUT would be answered matters.
  const gateway: MeshCaGateway = {
    validate: (mesh, mtls, caller) => validate.execute({ mesh, mtls, caller }),
    ensure: async () => undefined,
  };
  const apply = new ApplyResourceUseCase(store, gateway);

  async function violationsOf(mesh: Record<string, unknown>): Promise<Violation[]> {
    try {
      await apply.execute({
        target: { type: 'Mesh', name: 'default' },
        document: { type: 'Mesh', name: 'default', ...mesh },
        caller: 'admin',
      });
      return [];
    } catch (error) {
      if (error instanceof ValidationError) return [...error.violations];
      throw error;
    }
  }

  describe.each(FILES)('%s', (file) => {
    it.each(cases(file).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const actual = await violationsOf(c.mesh);
      if (c.difference === undefined) {
        expect(actual).toEqual(c.kuma.violations);
        return;
      }
      // A deliberate difference says why, and still differs from Kuma: one that no longer does is stale.
      expect(c.difference.reason.length).toBeGreaterThan(20);
      expect(actual).toEqual(c.difference.meshtls.violations);
      expect(actual).not.toEqual(c.kuma.violations);
    });
  });
});
