import { describeRoleProcess } from '@meshtls/testing';

// What main.ts wires: the rotation-scheduler role over real NATS and Redis (leases).
describeRoleProcess('rotation-scheduler', {
  // Read from Redis at every scrape: no lease is due in an empty store.
  metrics: (text) => expect(text).toMatch(/^mesh_rotation_leases_due\{roles="rotation-scheduler"\} 0$/m),
});
