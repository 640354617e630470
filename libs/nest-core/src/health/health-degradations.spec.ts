import { FakeClock } from '@meshtls/util';
import { HealthDegradations } from './health-degradations';

describe('HealthDegradations', () => {
  it('keeps each source once, with its latest reason and the time it was first reported', () => {
    const clock = new FakeClock('2026-06-01T00:00:00Z');
    const degradations = new HealthDegradations(() => clock.now());
    degradations.report('kv:Mesh/a', 'first');
    clock.advance(1_000);
    degradations.report('store:full', 'disk full');
    clock.advance(1_000);
    degradations.report('kv:Mesh/a', 'again');
    expect(degradations.list()).toEqual([
      { source: 'kv:Mesh/a', reason: 'again', since: '2026-06-01T00:00:00.000Z' },
      { source: 'store:full', reason: 'disk full', since: '2026-06-01T00:00:01.000Z' },
    ]);
    expect(degradations.list(1)).toHaveLength(1);
    degradations.clear('kv:Mesh/a');
    degradations.clear('never-reported');
    expect(degradations.size).toBe(1);
    degradations.clear('store:full');
    expect(degradations.list()).toEqual([]);
  });
});
