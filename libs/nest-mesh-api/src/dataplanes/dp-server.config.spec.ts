import { ConfigError } from '@meshtls/util';
import { loadDpServerConfig } from './dp-server.config';

describe('loadDpServerConfig: the per-dataplane issuance limit', () => {
  it('is 6 certificates a minute, 6 at once, unless set', () => {
    expect(loadDpServerConfig({}).issuanceLimit).toEqual({ perMinute: 6, burst: 6 });
    expect(
      loadDpServerConfig({ MESH_DP_ISSUE_RATE_PER_MINUTE: '0.5', MESH_DP_ISSUE_BURST: '3' }).issuanceLimit,
    ).toEqual({ perMinute: 0.5, burst: 3 });
  });

  it('refuses a limit that would stop every issuance, naming the variable', () => {
    expect(() => loadDpServerConfig({ MESH_DP_ISSUE_RATE_PER_MINUTE: '0' })).toThrow(ConfigError);
    expect(() => loadDpServerConfig({ MESH_DP_ISSUE_BURST: '0' })).toThrow(/MESH_DP_ISSUE_BURST/);
  });
});
