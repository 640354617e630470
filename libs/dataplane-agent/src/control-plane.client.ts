import { isIP } from 'node:net';
import { Client, credentials } from '@grpc/grpc-js';
import type { DataplaneAgentOptions } from './dataplane-agent.options';

/**
 * A gRPC client of one control plane address (`host:port`), its TLS checked against the control plane's
 * CA (or `options.credentials`) and its server name (`options.serverName`, else the address's host).
 */
export function controlPlaneClient(
  address: string,
  options: Pick<DataplaneAgentOptions, 'caCertPem' | 'serverName' | 'channelOptions' | 'credentials'>,
): Client {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const serverName = options.serverName ?? host;
  const tls = options.credentials ?? credentials.createSsl(Buffer.from(options.caCertPem));
  // An IP is checked against the certificate's IP SANs as it is; TLS forbids it as a server name.
  const override = isIP(serverName)
    ? {}
    : { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName };
  return new Client(address, tls, {
    ...override,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.initial_reconnect_backoff_ms': 250,
    ...options.channelOptions,
  });
}
