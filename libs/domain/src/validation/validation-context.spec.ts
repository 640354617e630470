import { ValidationError } from '../errors';
import { FieldPath } from './field-path';
import { ValidationContext, compact } from './validation-context';

describe('ValidationContext', () => {
  const path = FieldPath.at('x');

  it('treats undefined and null as absent without a violation', () => {
    const ctx = new ValidationContext();
    expect(ctx.string(undefined, path)).toBeUndefined();
    expect(ctx.object(null, path, [])).toBeUndefined();
    expect(ctx.hasViolations).toBe(false);
  });

  it.each([
    ['object', (c: ValidationContext) => c.object('a', path, []), 'must be an object'],
    ['object from an array', (c: ValidationContext) => c.object([], path, []), 'must be an object'],
    ['array', (c: ValidationContext) => c.array({}, path), 'must be an array'],
    ['string', (c: ValidationContext) => c.string(1, path), 'must be a string'],
    ['number', (c: ValidationContext) => c.number('1', path), 'must be a number'],
    ['integer', (c: ValidationContext) => c.integer(1.5, path), 'must be an integer'],
    ['boolean', (c: ValidationContext) => c.boolean('true', path), 'must be a boolean'],
  ])('reports a wrong JSON type for %s', (_name, read, message) => {
    const ctx = new ValidationContext();
    expect(read(ctx)).toBeUndefined();
    expect(ctx.violations).toEqual([{ field: 'x', message }]);
  });

  it('reports every unknown key of an object under its own path', () => {
    const ctx = new ValidationContext();
    expect(ctx.object({ a: 1, b: 2, c: 3 }, path, ['a'])).toEqual({ a: 1, b: 2, c: 3 });
    expect(ctx.violations).toEqual([
      { field: 'x.b', message: 'unknown field' },
      { field: 'x.c', message: 'unknown field' },
    ]);
  });

  it('requires a non-empty string with Kuma wording', () => {
    const ctx = new ValidationContext();
    ctx.requiredString('', path);
    ctx.requiredString(undefined, FieldPath.at('y'), 'must be defined');
    expect(ctx.violations).toEqual([
      { field: 'x', message: 'cannot be empty' },
      { field: 'y', message: 'must be defined' },
    ]);
  });

  it('names the field in a one-of message', () => {
    const ctx = new ValidationContext();
    expect(ctx.oneOf('LAX', FieldPath.at('a').field('mode'), ['STRICT', 'PERMISSIVE'])).toBeUndefined();
    expect(ctx.oneOf('STRICT', path, ['STRICT', 'PERMISSIVE'])).toBe('STRICT');
    expect(ctx.violations).toEqual([
      { field: 'a.mode', message: '"mode" must be one of ["STRICT", "PERMISSIVE"]' },
    ]);
  });

  it('reports a missing required object as must be defined', () => {
    const ctx = new ValidationContext();
    expect(ctx.requiredObject(null, path, [])).toBeUndefined();
    expect(ctx.requiredObject({ a: 1 }, FieldPath.at('y'), ['a'])).toEqual({ a: 1 });
    expect(ctx.violations).toEqual([{ field: 'x', message: 'must be defined' }]);
  });

  it('chains checks on a value read, reporting only the first that fails', () => {
    const ctx = new ValidationContext();
    const short = (v: string) => v.length <= 3;
    const lower = (v: string) => v === v.toLowerCase();
    expect(ctx.check(ctx.check('abc', path, short, 'long'), path, lower, 'upper')).toBe('abc');
    expect(ctx.check(ctx.check('ABCD', path, short, 'long'), path, lower, 'upper')).toBeUndefined();
    expect(ctx.check(undefined, path, short, 'long')).toBeUndefined();
    expect(ctx.violations).toEqual([{ field: 'x', message: 'long' }]);
  });

  it('throws every violation at once', () => {
    const ctx = new ValidationContext();
    ctx.throwIfInvalid();
    ctx.add(path, 'one');
    ctx.add(FieldPath.at('y'), 'two');
    expect(() => ctx.throwIfInvalid()).toThrow(ValidationError);
    try {
      ctx.throwIfInvalid();
    } catch (error) {
      expect((error as ValidationError).violations).toHaveLength(2);
      expect((error as ValidationError).code).toBe('resource.invalid');
    }
  });

  it('compact drops undefined keys only', () => {
    expect(compact({ a: undefined, b: 0, c: '', d: false })).toEqual({ b: 0, c: '', d: false });
    expect(Object.keys(compact({ a: undefined }))).toEqual([]);
  });

  it('accepts unknown keys of a lenient object, noting each, without a violation', () => {
    const ctx = new ValidationContext();
    expect(ctx.lenientObject({ a: 1, b: 2 }, path, ['a'])).toEqual({ a: 1, b: 2 });
    expect(ctx.lenientObject('a', FieldPath.at('y'), [])).toBeUndefined();
    expect(ctx.notes).toEqual([{ field: 'x.b', message: 'unknown field, ignored (not stored)' }]);
    expect(ctx.violations).toEqual([{ field: 'y', message: 'must be an object' }]);
  });
});
