import { X509Certificate } from 'node:crypto';
import type { AdmissionController, TrustBundleQuery } from '@meshtls/application';
import { ResourceType } from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';
import { metricsIn } from '@meshtls/nest-core';
import type { Registry } from 'prom-client';

/**
 * ca-signer's metrics: certificates signed, the admission queue (in flight, waiting, admitted, shed),
 * and when every CA of every mesh expires.
 */
export function caSignerMetrics(
  registry: Registry,
  deps: {
    admission: AdmissionController;
    store: ResourceStore;
    trust: TrustBundleQuery;
    /** Requests asked again and answered with the certificate already made for them. */
    repeats: () => number;
  },
): { signed(mesh: string, backend: string, reason: string): void } {
  const metric = metricsIn(registry);
  const signed = metric.counter({
    name: 'mesh_ca_certificates_signed_total',
    help: 'Dataplane certificates signed by this ca-signer, by mesh, backend and reason',
    labelNames: ['mesh', 'backend', 'reason'],
  });
  metric.gauge({
    name: 'mesh_ca_admission_in_flight',
    help: 'Certificate requests being signed now',
    collect() {
      this.set(deps.admission.stats().inFlight);
    },
  });
  metric.gauge({
    name: 'mesh_ca_admission_queue_depth',
    help: 'Certificate requests waiting for a slot, by lane (first certificates go first)',
    labelNames: ['lane'],
    collect() {
      const { queued } = deps.admission.stats();
      this.set({ lane: 'first' }, queued.first);
      this.set({ lane: 'renewal' }, queued.renewal);
    },
  });
  metric.counter({
    name: 'mesh_ca_admission_rejections_total',
    help: 'Certificate requests shed with a retry-after (queue full, wait too long, closing)',
    collect() {
      this.reset();
      this.inc(deps.admission.stats().shed);
    },
  });
  metric.counter({
    name: 'mesh_ca_repeated_requests_total',
    help: 'Certificate requests asked again (the first answer was lost or late), answered with the certificate already made',
    collect() {
      this.reset();
      this.inc(deps.repeats());
    },
  });
  metric.gauge({
    name: 'mesh_ca_certificate_expiration_timestamp_seconds',
    help: 'When the CA certificate of each backend of each mesh expires (Unix time)',
    labelNames: ['mesh', 'backend'],
    async collect() {
      this.reset();
      const meshes = await deps.store.list(ResourceType.Mesh);
      for (const mesh of meshes.items) {
        const anchors = await deps.trust.execute(mesh.meta.name).catch(() => []);
        for (const anchor of anchors) {
          const expiry = Date.parse(new X509Certificate(anchor.certPem).validTo);
          this.set({ mesh: mesh.meta.name, backend: anchor.backend }, expiry / 1000);
        }
      }
    },
  });
  return { signed: (mesh, backend, reason) => signed.inc({ mesh, backend, reason }) };
}
