import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { MtlsBackendType, type MtlsBackend } from '../mesh/mesh.types';
import { dataplaneCertificateProfile } from './dataplane-certificate.profile';
import { MissingServiceTagError } from './identity.errors';

const web: DataplaneSpec = {
  networking: {
    address: '10.0.0.1',
    inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web', version: 'v1' } }],
  },
};

describe('dataplaneCertificateProfile', () => {
  it('is the backend, the identity URIs and the backend’s dpCert validity', () => {
    const backend: MtlsBackend = {
      name: 'ca-1',
      type: MtlsBackendType.Builtin,
      dpCert: { rotation: { expiration: '2h' } },
    };
    expect(dataplaneCertificateProfile('default', backend, web)).toEqual({
      backend,
      uris: ['spiffe://default/web', 'kuma://kuma.io/service/web', 'kuma://version/v1'],
      validityMs: 2 * 3_600_000,
    });
  });

  it('takes Kuma’s 30 days when the backend sets no dpCert expiration', () => {
    const backend: MtlsBackend = { name: 'ca-1', type: MtlsBackendType.Builtin };
    expect(dataplaneCertificateProfile('default', backend, web).validityMs).toBe(30 * 86_400_000);
  });

  it('refuses a dataplane without a service: it has no identity', () => {
    const backend: MtlsBackend = { name: 'ca-1', type: MtlsBackendType.Builtin };
    const noService: DataplaneSpec = {
      networking: { address: '10.0.0.1', inbound: [{ port: 1, tags: { a: 'b' } }] },
    };
    expect(() => dataplaneCertificateProfile('default', backend, noService)).toThrow(MissingServiceTagError);
  });
});
