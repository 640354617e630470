import { describeRoleProcess } from '@meshtls/testing';

// What main.ts wires: the ca-signer role over real NATS (store and bus) and Redis, with its admission metrics.
describeRoleProcess('ca-signer', {
  metrics: (text) => {
    expect(text).toMatch(/^mesh_ca_admission_in_flight\{roles="ca-signer"\} 0$/m);
    expect(text).toContain('# TYPE mesh_ca_certificates_signed_total counter');
  },
});
