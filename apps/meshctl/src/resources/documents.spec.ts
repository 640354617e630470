import { DocumentError } from '../cli-errors';
import { checkDocument, planWrites, splitDocuments } from './documents';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof DocumentError) return err.problems;
    throw err;
  }
  throw new Error('expected a DocumentError');
}

describe('splitDocuments', () => {
  it('splits multi-document YAML, skips empty documents and labels each by position', () => {
    const text = '---\ntype: Mesh\nname: a\n---\n---\ntype: Mesh\nname: b\n';
    const docs = splitDocuments({ name: 'm.yaml', text });
    expect(docs.map((d) => d.label)).toEqual(['m.yaml (document 1)', 'm.yaml (document 2)']);
    expect(docs[1].value).toEqual({ type: 'Mesh', name: 'b' });
  });

  it('labels a single document with the file name only and reads JSON (tabs included)', () => {
    const docs = splitDocuments({ name: 'd.json', text: '{\n\t"type": "Mesh",\n\t"name": "j"\n}\n' });
    expect(docs).toEqual([{ label: 'd.json', value: { type: 'Mesh', name: 'j' } }]);
  });

  it('names the file, line and column of a syntax error', () => {
    const problems = problemsOf(() =>
      splitDocuments({ name: 'bad.yaml', text: 'type: Mesh\nname: a\n---\ntype: Mesh\n  name: b: c\n' }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^bad\.yaml:4:\d+: invalid YAML: /);
  });

  it('reports duplicate keys as errors rather than keeping the last one', () => {
    expect(problemsOf(() => splitDocuments({ name: 'dup.yaml', text: 'name: a\nname: b\n' }))[0]).toMatch(
      /^dup\.yaml:2:1: invalid YAML: Map keys must be unique/,
    );
  });

  it('returns nothing for an empty file', () => {
    expect(splitDocuments({ name: 'e.yaml', text: '\n# only a comment\n' })).toEqual([]);
  });
});

describe('checkDocument', () => {
  it('derives the reference of a global and of a mesh-scoped resource', () => {
    const mesh = checkDocument({ type: 'Mesh', name: 'default' });
    const dp = checkDocument({ type: 'Dataplane', mesh: 'm', name: 'web-1' });
    expect(typeof mesh !== 'string' && [mesh.descriptor.type, mesh.name, mesh.mesh]).toEqual([
      'Mesh',
      'default',
      undefined,
    ]);
    expect(typeof dp !== 'string' && [dp.descriptor.collection, dp.name, dp.mesh]).toEqual([
      'dataplanes',
      'web-1',
      'm',
    ]);
  });

  it.each([
    [['a', 'list'], 'a resource must be a mapping with "type" and "name"'],
    [{ name: 'x' }, 'missing "type"'],
    [
      { type: 'Nope', name: 'x' },
      'unknown type "Nope"; known types: Mesh, GlobalSecret, Secret, Dataplane, MeshTrafficPermission',
    ],
    [{ type: 'Mesh' }, 'Mesh without "name"'],
    [{ type: 'Secret', name: 's' }, 'Secret "s" without "mesh"'],
  ])('refuses %p', (value, message) => {
    expect(checkDocument(value)).toBe(message);
  });
});

describe('planWrites', () => {
  it('reports every invalid document at once, with its label', () => {
    const problems = problemsOf(() =>
      planWrites([
        { label: 'a.yaml', value: { type: 'Mesh', name: 'ok' } },
        { label: 'b.yaml (document 1)', value: { type: 'Mesh' } },
        { label: 'b.yaml (document 2)', value: { type: 'MeshTrafficPermission', name: 'p' } },
      ]),
    );
    expect(problems).toEqual([
      'b.yaml (document 1): Mesh without "name"',
      'b.yaml (document 2): MeshTrafficPermission "p" without "mesh"',
    ]);
  });

  it('refuses input without any resource', () => {
    expect(problemsOf(() => planWrites([]))).toEqual(['no resources found in the given files']);
  });
});
