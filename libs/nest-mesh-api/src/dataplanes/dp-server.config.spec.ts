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

  it('ends a stream without its hello after 10 s and caps a connection at 10,000 streams, unless set', () => {
    expect(loadDpServerConfig({})).toMatchObject({ helloTimeoutMs: 10_000, maxStreamsPerConnection: 10_000 });
    expect(
      loadDpServerConfig({ MESH_DP_HELLO_TIMEOUT: 'off', MESH_DP_MAX_STREAMS_PER_CONNECTION: '5' }),
    ).toMatchObject({ helloTimeoutMs: 0, maxStreamsPerConnection: 5 });
    expect(() => loadDpServerConfig({ MESH_DP_MAX_STREAMS_PER_CONNECTION: '0' })).toThrow(
      /MESH_DP_MAX_STREAMS_PER_CONNECTION/,
    );
    expect(() => loadDpServerConfig({ MESH_DP_HELLO_TIMEOUT: 'soon' })).toThrow(
      /MESH_DP_HELLO_TIMEOUT: must be a duration such as 30s, 5m or 1h, or off, not "soon"/,
    );
  });
});
