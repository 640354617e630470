import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataplaneAgent, DataplaneProxy } from '@meshtls/dataplane-agent';
import type { Registry } from 'prom-client';

/**
 * The admin endpoint: `/ready` answers 200 once the dataplane holds a valid identity (or its mesh has
 * mTLS off) and keeps answering 200 while the control plane is away and the certificate is still valid;
 * `/identity` describes the certificate (never the key) and the open listeners; `/metrics` is Prometheus.
 */
export async function startAdminServer(
  agent: DataplaneAgent,
  proxy: DataplaneProxy,
  metrics: Registry,
  key: string,
  address: string,
  port: number,
): Promise<Server & { port: number }> {
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (path === '/metrics') {
      void metrics.metrics().then(
        (text) => (res.writeHead(200, { 'content-type': metrics.contentType }), res.end(text)),
        (error: Error) => (res.writeHead(500), res.end(error.message)),
      );
      return;
    }
    const id = agent.identity;
    const valid = id !== undefined && Date.parse(id.notAfter) > Date.now();
    const body = {
      dataplane: key,
      ready: valid || agent.mtlsDisabled,
      controlPlane: agent.connectedTo ?? null,
      mtls: agent.mtlsDisabled ? 'disabled' : id ? 'enabled' : 'pending',
      identity: id
        ? {
            serial: id.serial,
            backend: id.backend,
            supportedBackends: id.supportedBackends,
            notBefore: id.notBefore,
            notAfter: id.notAfter,
            rotateAt: id.rotateAt,
            // When it asks for a new certificate itself if none came by then.
            renewAt: agent.renewAt?.toISOString() ?? null,
            mode: id.mode,
            uris: id.uris,
            reason: id.reason,
          }
        : null,
      listeners: proxy.openListeners(),
    };
    const status = path === '/ready' ? (body.ready ? 200 : 503) : path === '/identity' ? 200 : 404;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(status === 404 ? { error: 'not found: try /ready, /identity or /metrics' } : body),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}
