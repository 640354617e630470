import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataplaneAgent, DataplaneProxy } from '@meshtls/dataplane-agent';

/**
 * The sidecar's Prometheus metrics, served on the admin port at `/metrics`: connections through each
 * inbound and outbound, refusals by reason, and the certificate's expiry and rotation point.
 */
export function proxyMetrics(agent: DataplaneAgent, proxy: DataplaneProxy): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const refused = new Counter({
    name: 'dataplane_inbound_refused_connections_total',
    help: 'Inbound connections refused, by inbound and reason (handshake, no-identity, not-allowed)',
    labelNames: ['inbound', 'reason'],
    registers: [registry],
  });
  const shadow = new Counter({
    name: 'dataplane_inbound_shadow_denied_connections_total',
    help: 'Inbound connections allowed by AllowWithShadowDeny that Deny would have refused',
    labelNames: ['inbound'],
    registers: [registry],
  });
  const inbound = new Counter({
    name: 'dataplane_inbound_connections_total',
    help: 'Inbound connections passed to the application, by how they came (mtls, plaintext, tls-passthrough)',
    labelNames: ['inbound', 'kind'],
    registers: [registry],
  });
  const outbound = new Counter({
    name: 'dataplane_outbound_connections_total',
    help: 'Outbound connections joined to an upstream, by service and whether over mTLS',
    labelNames: ['service', 'mtls'],
    registers: [registry],
  });
  const outboundErrors = new Counter({
    name: 'dataplane_outbound_errors_total',
    help: 'Outbound connection attempts that failed (upstream down, not the expected identity, no identity yet)',
    labelNames: ['service'],
    registers: [registry],
  });
  new Gauge({
    name: 'dataplane_certificate_expiration_timestamp_seconds',
    help: 'When the current certificate expires (Unix time); absent without one',
    registers: [registry],
    collect() {
      this.reset();
      if (agent.identity) this.set(Date.parse(agent.identity.notAfter) / 1000);
    },
  });
  new Gauge({
    name: 'dataplane_certificate_rotation_timestamp_seconds',
    help: 'When the current certificate is due for rotation (Unix time); absent without one',
    registers: [registry],
    collect() {
      this.reset();
      if (agent.identity) this.set(Date.parse(agent.identity.rotateAt) / 1000);
    },
  });
  const renewals = new Counter({
    name: 'dataplane_certificate_renewal_requests_total',
    help: 'Times it asked for a new certificate itself, the control plane having not rotated it in time',
    registers: [registry],
  });
  agent.on('renewalRequested', () => renewals.inc());
  proxy.on('refused', (e) => refused.inc({ inbound: e.inbound, reason: e.kind }));
  proxy.on('shadowDenied', (e) => shadow.inc({ inbound: e.inbound }));
  proxy.on('inbound', (e) => inbound.inc({ inbound: e.inbound, kind: e.kind }));
  proxy.on('outbound', (e) => outbound.inc({ service: e.service, mtls: String(e.mtls) }));
  proxy.on('outboundError', (e) => outboundErrors.inc({ service: e.service }));
  return registry;
}
