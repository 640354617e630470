import { parse as parseYaml } from 'yaml';
import { forbiddenKeyViolations } from './forbidden-keys';

const fields = (document: unknown) => forbiddenKeyViolations(document).map((v) => v.field);

describe('forbiddenKeyViolations', () => {
  it('finds nothing in an ordinary document', () => {
    expect(
      forbiddenKeyViolations({
        type: 'Dataplane',
        networking: { inbound: [{ port: 1, tags: { 'kuma.io/service': 'web', proto: 'x' } }] },
        note: '__proto__',
      }),
    ).toEqual([]);
  });

  it('names each of __proto__, constructor and prototype with its path, in document order', () => {
    const document = JSON.parse(
      '{"type":"Mesh","__proto__":{"a":1},"mtls":{"backends":[{"conf":{"constructor":{"prototype":1}}}]},' +
        '"networking":{"inbound":[{"tags":{"kuma.io/service":"web","prototype":"x"}}]}}',
    );
    const violations = forbiddenKeyViolations(document);
    expect(violations.map((v) => v.field)).toEqual([
      '__proto__',
      'mtls.backends[0].conf.constructor',
      'networking.inbound[0].tags.prototype',
    ]);
    expect(violations[0]!.message).toBe(
      'key "__proto__" is not allowed (no body may use "__proto__", "constructor" or "prototype" as a key)',
    );
  });

  it('sees the key YAML keeps as an own property, where assigning it would drop it', () => {
    const document = parseYaml(
      'networking:\n  inbound:\n    - tags:\n        kuma.io/service: web\n        __proto__: evil\n',
    );
    expect(fields(document)).toEqual(['networking.inbound[0].tags.__proto__']);
  });

  it('quotes keys that are not identifiers, as map keys are', () => {
    expect(fields({ tags: { 'kuma.io/service': { constructor: 1 } } })).toEqual([
      'tags["kuma.io/service"].constructor',
    ]);
  });

  it('walks a deeply nested body without overflowing the stack', () => {
    const depth = 100_000;
    const document = JSON.parse(`${'['.repeat(depth)}{"__proto__":1}${']'.repeat(depth)}`);
    const [violation] = forbiddenKeyViolations(document);
    expect(violation!.field).toBe(`${'[0]'.repeat(depth)}.__proto__`);
  });

  it('stops at loops and reports a shared object once', () => {
    const shared: Record<string, unknown> = JSON.parse('{"constructor":1}');
    const loop: Record<string, unknown> = { a: shared, b: shared };
    loop.self = loop;
    expect(fields(loop)).toEqual(['a.constructor']);
  });

  it('reports at most 10', () => {
    const many = Array.from({ length: 50 }, () => JSON.parse('{"__proto__":1}'));
    expect(forbiddenKeyViolations(many)).toHaveLength(10);
  });
});
