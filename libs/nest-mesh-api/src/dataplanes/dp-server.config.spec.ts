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

describe('loadDpServerConfig: keepalive of dataplane connections', () => {
  it('pings after 20 s of silence and closes after 10 s without an answer, unless set', () => {
    expect(loadDpServerConfig({})).toMatchObject({ keepaliveTimeMs: 20_000, keepaliveTimeoutMs: 10_000 });
    expect(
      loadDpServerConfig({ MESH_DP_KEEPALIVE_TIME: '2m', MESH_DP_KEEPALIVE_TIMEOUT: '30s' }),
    ).toMatchObject({ keepaliveTimeMs: 120_000, keepaliveTimeoutMs: 30_000 });
  });

  it('refuses what is not a duration, naming the variable', () => {
    expect(() => loadDpServerConfig({ MESH_DP_KEEPALIVE_TIMEOUT: '10' })).toThrow(
      /MESH_DP_KEEPALIVE_TIMEOUT/,
    );
  });
});
