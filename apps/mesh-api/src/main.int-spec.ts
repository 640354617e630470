import { describeRoleProcess } from '@meshtls/testing';

// What main.ts wires: the mesh-api role (REST API and dataplane server) over real NATS and Redis.
describeRoleProcess('mesh-api', {
  serving: async (replica) => {
    const meshes = await fetch(`${replica.url}/meshes`);
    expect(meshes.status).toBe(200);
    expect(await meshes.json()).toEqual({ total: 0, items: [], next: null });
    expect(replica.process.logs).toContain(`dataplane server listening on grpcs://${replica.dpAddress}`);
  },
  metrics: (text) => expect(text).toMatch(/^mesh_dataplanes_connected\{roles="mesh-api"\} 0$/m),
});
