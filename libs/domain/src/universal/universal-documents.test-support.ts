/**
 * Test support: one valid universal document of each writable type, written as `get -o yaml` prints it
 * (a Mesh with both backend types, a policy with its top-level targetRef).
 */
export const UNIVERSAL_DOCUMENTS = {
  Mesh: {
    type: 'Mesh',
    name: 'default',
    mtls: {
      enabledBackend: 'ca-1',
      backends: [
        {
          name: 'ca-1',
          type: 'builtin',
          mode: 'PERMISSIVE',
          dpCert: { rotation: { expiration: '1d' } },
          conf: { caCert: { RSAbits: 2048, expiration: '10y' } },
        },
        {
          name: 'ca-2',
          type: 'provided',
          mode: 'PERMISSIVE',
          conf: { cert: { secret: 'c' }, key: { inline: 'a2V5' } },
        },
      ],
    },
  },
  Secret: { type: 'Secret', mesh: 'default', name: 'c', data: 'Y2VydA==' },
  GlobalSecret: { type: 'GlobalSecret', name: 'g', data: 'Zw==' },
  Dataplane: {
    type: 'Dataplane',
    mesh: 'default',
    name: 'web-01',
    networking: {
      address: '10.0.0.1',
      inbound: [{ port: 8080, servicePort: 80, tags: { 'kuma.io/service': 'web' } }],
      outbound: [{ port: 10001, tags: { 'kuma.io/service': 'backend' } }],
    },
  },
  MeshTrafficPermission: {
    type: 'MeshTrafficPermission',
    mesh: 'default',
    name: 'allow-web',
    spec: {
      targetRef: { kind: 'MeshService', name: 'backend' },
      from: [{ targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } }],
    },
  },
};
