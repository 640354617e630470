import {
  Counter,
  Gauge,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
} from 'prom-client';
import { EventLoopDelay, type DataplaneAgent, type DataplaneProxy } from '@meshtls/dataplane-agent';

/**
 * The sidecar's Prometheus metrics, served on the admin port at `/metrics`: connections through each
 * inbound and outbound, refusals by reason, the certificate's expiry and rotation point, and how late
 * the event loop ran (every connection waits that long on top of its own work).
 */
export function proxyMetrics(
  agent: DataplaneAgent,
  proxy: DataplaneProxy,
  loopDelay: EventLoopDelay = new EventLoopDelay(),
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Every metric below is registered in this registry only.
  const counter = <L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>) =>
    new Counter({ ...config, registers: [registry] });
  const gauge = (config: Omit<GaugeConfiguration<string>, 'registers'>) =>
    new Gauge({ ...config, registers: [registry] });
  const refused = counter({
    name: 'dataplane_inbound_refused_connections_total',
    help: 'Inbound connections refused, by inbound and reason (handshake, no-identity, not-allowed)',
    labelNames: ['inbound', 'reason'],
  });
  const shadow = counter({
    name: 'dataplane_inbound_shadow_denied_connections_total',
    help: 'Inbound connections allowed by AllowWithShadowDeny that Deny would have refused',
    labelNames: ['inbound'],
  });
  const inbound = counter({
    name: 'dataplane_inbound_connections_total',
    help: 'Inbound connections passed to the application, by how they came (mtls, plaintext, tls-passthrough)',
    labelNames: ['inbound', 'kind'],
  });
  const inboundResumed = counter({
    name: 'dataplane_inbound_resumed_connections_total',
    help: 'Inbound mesh mTLS connections passed to the application that resumed a TLS session (no full handshake)',
    labelNames: ['inbound'],
  });
  const outbound = counter({
    name: 'dataplane_outbound_connections_total',
    help: 'Outbound connections joined to an upstream, by service and whether over mTLS',
    labelNames: ['service', 'mtls'],
  });
  const outboundResumed = counter({
    name: 'dataplane_outbound_resumed_connections_total',
    help: 'Outbound mTLS connections joined to an upstream that resumed a TLS session (no full handshake)',
    labelNames: ['service'],
  });
  const outboundErrors = counter({
    name: 'dataplane_outbound_errors_total',
    help: 'Outbound connection attempts that failed (upstream down, not the expected identity, no identity yet)',
    labelNames: ['service'],
  });
  gauge({
    name: 'dataplane_certificate_expiration_timestamp_seconds',
    help: 'When the current certificate expires (Unix time); absent without one',
    collect() {
      this.reset();
      if (agent.identity) this.set(Date.parse(agent.identity.notAfter) / 1000);
    },
  });
  gauge({
    name: 'dataplane_certificate_rotation_timestamp_seconds',
    help: 'When the current certificate is due for rotation (Unix time); absent without one',
    collect() {
      this.reset();
      if (agent.identity) this.set(Date.parse(agent.identity.rotateAt) / 1000);
    },
  });
  // One window per scrape, taken by the delay gauge's collect (collected before the samples counter).
  gauge({
    name: 'dataplane_event_loop_delay_seconds',
    help:
      'How late the event loop ran a timer since the previous scrape, by quantile (1: the largest); ' +
      '0 with no sample',
    labelNames: ['quantile'],
    collect() {
      const window = loopDelay.takeWindow();
      loopSamples.inc(window.samples);
      this.set({ quantile: '0.5' }, window.p50);
      this.set({ quantile: '0.9' }, window.p90);
      this.set({ quantile: '0.99' }, window.p99);
      this.set({ quantile: '1' }, window.max);
    },
  });
  const loopSamples = counter({
    name: 'dataplane_event_loop_delay_samples_total',
    help: `Event-loop delay samples taken (a timer every ${loopDelay.resolutionMs} ms)`,
  });
  const renewals = counter({
    name: 'dataplane_certificate_renewal_requests_total',
    help: 'Times it asked for a new certificate itself, the control plane having not rotated it in time',
  });
  agent.on('renewalRequested', () => renewals.inc());
  proxy.on('refused', (e) => refused.inc({ inbound: e.inbound, reason: e.kind }));
  proxy.on('shadowDenied', (e) => shadow.inc({ inbound: e.inbound }));
  proxy.on('inbound', (e) => {
    inbound.inc({ inbound: e.inbound, kind: e.kind });
    if (e.resumed) inboundResumed.inc({ inbound: e.inbound });
  });
  proxy.on('outbound', (e) => {
    outbound.inc({ service: e.service, mtls: String(e.mtls) });
    if (e.resumed) outboundResumed.inc({ service: e.service });
  });
  proxy.on('outboundError', (e) => outboundErrors.inc({ service: e.service }));
  return registry;
}
