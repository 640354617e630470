import {
  MTLS_DEFAULTS,
  backendModeOf,
  caCertRsaBitsOf,
  caCertValidityMs,
  dpCertValidityMs,
  enabledBackendOf,
} from './mesh-defaults';
import type { BuiltinMtlsBackend, MeshSpec } from './mesh.types';

const DAY = 86_400_000;
const bare: BuiltinMtlsBackend = { name: 'ca-1', type: 'builtin' };
const tuned: BuiltinMtlsBackend = {
  name: 'ca-2',
  type: 'builtin',
  mode: 'PERMISSIVE',
  dpCert: { rotation: { expiration: '1d' } },
  conf: { caCert: { RSAbits: 4096, expiration: '1y' } },
};

describe('mesh defaults', () => {
  it('are Kuma defaults', () => {
    expect(MTLS_DEFAULTS).toEqual({
      mode: 'STRICT',
      dpCertExpiration: '30d',
      caCertRsaBits: 2048,
      caCertExpiration: '10y',
    });
  });

  it('fill what a backend leaves out', () => {
    expect(backendModeOf(bare)).toBe('STRICT');
    expect(dpCertValidityMs(bare)).toBe(30 * DAY);
    expect(caCertRsaBitsOf(bare)).toBe(2048);
    expect(caCertValidityMs(bare)).toBe(3650 * DAY);
  });

  it('give way to what a backend says', () => {
    expect(backendModeOf(tuned)).toBe('PERMISSIVE');
    expect(dpCertValidityMs(tuned)).toBe(DAY);
    expect(caCertRsaBitsOf(tuned)).toBe(4096);
    expect(caCertValidityMs(tuned)).toBe(365 * DAY);
  });

  it('find the enabled backend, or none when mTLS is off', () => {
    const spec: MeshSpec = { mtls: { enabledBackend: 'ca-2', backends: [bare, tuned] } };
    expect(enabledBackendOf(spec)).toBe(tuned);
    expect(enabledBackendOf({ mtls: { enabledBackend: '', backends: [bare] } })).toBeUndefined();
    expect(enabledBackendOf({})).toBeUndefined();
  });
});
