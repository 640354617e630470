import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ValidationError, type Violation } from '../errors';
import { parseResource } from '../universal/parse-resource';

/** Kuma's mesh validator tests, kept as data with the e2e suite (`e2e/kuma-compat/mesh`). */
interface CompatCase {
  readonly name: string;
  readonly mesh: Record<string, unknown>;
  readonly kuma: { readonly violations: Violation[] };
  readonly difference?: { readonly reason: string; readonly meshtls: { readonly violations: Violation[] } };
}

const DATA = join(__dirname, '../../../../e2e/kuma-compat/mesh');
const cases = (file: string): CompatCase[] =>
  (parseYaml(readFileSync(join(DATA, file), 'utf8')) as { cases: CompatCase[] }).cases;

function violationsOf(document: unknown): Violation[] {
  try {
    parseResource(document);
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return [...error.violations];
    throw error;
  }
}

describe("Kuma's Mesh validator cases", () => {
  describe.each(['mesh-validator.yaml'])('%s', (file) => {
    it.each(cases(file).map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const actual = violationsOf({ type: 'Mesh', name: 'default', ...c.mesh });
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
