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

describe('loadDpServerConfig: CA switches', () => {
  it('gives dataplanes 5 minutes to acknowledge and calls a switch stuck after 15, unless set', () => {
    expect(loadDpServerConfig({})).toMatchObject({
      caSwitchAckTimeoutMs: 300_000,
      caSwitchAlertAfterMs: 900_000,
    });
    expect(
      loadDpServerConfig({ MESH_CA_SWITCH_ACK_TIMEOUT: '90s', MESH_CA_SWITCH_ALERT_AFTER: '1h' }),
    ).toMatchObject({ caSwitchAckTimeoutMs: 90_000, caSwitchAlertAfterMs: 3_600_000 });
  });

  it('refuses a duration it cannot read or of zero, naming the variable and the value', () => {
    expect(() => loadDpServerConfig({ MESH_CA_SWITCH_ACK_TIMEOUT: '5 minutes' })).toThrow(
      /MESH_CA_SWITCH_ACK_TIMEOUT.*"5 minutes"/s,
    );
    expect(() => loadDpServerConfig({ MESH_CA_SWITCH_ALERT_AFTER: '0s' })).toThrow(
      /MESH_CA_SWITCH_ALERT_AFTER/,
    );
  });
});
