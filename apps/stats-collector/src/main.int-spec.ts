import { describeRoleProcess } from '@meshtls/testing';

// What main.ts wires: the stats-collector role (store, bus and its durable event consumer), with its insight metrics.
describeRoleProcess('stats-collector', {
  metrics: (text) => {
    expect(text).toContain('# TYPE mesh_insight_events_total counter');
    expect(text).toContain('# TYPE mesh_dataplanes_with_certificate gauge');
  },
});
