import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Violation } from '../errors';
import { violationsOf } from '../test-support/violations-of';
import { parseResource } from '../universal/parse-resource';

/**
 * Kuma 2.14's MeshTrafficPermission validator cases (inputs and expected violations), kept as data with
 * the e2e suite (`e2e/kuma-compat/mesh-traffic-permission`): a Kuma user's policies are accepted or
 * refused here exactly as there. Where this differs on purpose the case says why and expects this side's
 * answer.
 */
interface CompatCase {
  readonly name: string;
  readonly spec: Record<string, unknown>;
  readonly kuma: { readonly violations: Violation[] };
  readonly difference?: { readonly reason: string; readonly meshtls: { readonly violations: Violation[] } };
}

const FILE = join(__dirname, '../../../../e2e/kuma-compat/mesh-traffic-permission/validator.yaml');
const cases = (parseYaml(readFileSync(FILE, 'utf8')) as { cases: CompatCase[] }).cases;

const document = (spec: Record<string, unknown>) => ({
  type: 'MeshTrafficPermission',
  mesh: 'default',
  name: 'mtp',
  spec,
});
const named = (list: CompatCase[]) => list.map((c) => [c.name, c] as const);
const expectedOf = (c: CompatCase) => c.difference?.meshtls.violations ?? c.kuma.violations;

describe('MeshTrafficPermission, Kuma 2.14 validator cases', () => {
  it('holds every case of the file, accepted and refused', () => {
    expect(cases.filter((c) => expectedOf(c).length === 0)).toHaveLength(7);
    expect(cases.filter((c) => expectedOf(c).length > 0)).toHaveLength(9);
  });

  it.each(named(cases.filter((c) => expectedOf(c).length === 0)))('accepts: %s', (_name, c) => {
    const doc = document(c.spec);
    expect(parseResource(doc).spec).toEqual(doc.spec);
  });

  it.each(named(cases.filter((c) => expectedOf(c).length > 0)))('refuses: %s', (_name, c) => {
    if (c.difference !== undefined) {
      // A deliberate difference says why, and still differs from Kuma: one that no longer does is stale.
      expect(c.difference.reason.length).toBeGreaterThan(20);
      expect(c.difference.meshtls.violations).not.toEqual(c.kuma.violations);
    }
    expect(violationsOf(document(c.spec))).toEqual(expectedOf(c));
  });
});
