import { FieldPath } from './field-path';

describe('FieldPath', () => {
  it('renders fields, indexes and quoted keys as Kuma does', () => {
    const path = FieldPath.at('networking').field('inbound').index(0).field('tags').key('kuma.io/service');
    expect(path.toString()).toBe('networking.inbound[0].tags["kuma.io/service"]');
  });

  it('starts at the root with an empty field and no leading dot', () => {
    expect(FieldPath.root.toString()).toBe('');
    expect(FieldPath.root.field('mtls').toString()).toBe('mtls');
  });

  it('never changes a path it extends', () => {
    const base = FieldPath.at('mtls');
    base.field('backends');
    expect(base.toString()).toBe('mtls');
  });
});
