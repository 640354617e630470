import { X509Certificate } from 'node:crypto';
import type { AdmissionController, TrustBundleQuery } from '@meshtls/application';
import { ResourceType } from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';
import { Counter, Gauge, type Registry } from 'prom-client';

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
  const signed = new Counter({
    name: 'mesh_ca_certificates_signed_total',
    help: 'Dataplane certificates signed by this ca-signer, by mesh, backend and reason',
    labelNames: ['mesh', 'backend', 'reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'mesh_ca_admission_in_flight',
    help: 'Certificate requests being signed now',
    registers: [registry],
    collect() {
      this.set(deps.admission.stats().inFlight);
    },
  });
  new Gauge({
    name: 'mesh_ca_admission_queue_depth',
    help: 'Certificate requests waiting for a slot, by lane (first certificates go first)',
    labelNames: ['lane'],
    registers: [registry],
    collect() {
      const { queued } = deps.admission.stats();
      this.set({ lane: 'first' }, queued.first);
      this.set({ lane: 'renewal' }, queued.renewal);
    },
  });
  new Counter({
    name: 'mesh_ca_admission_rejections_total',
    help: 'Certificate requests shed with a retry-after (queue full, wait too long, closing)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(deps.admission.stats().shed);
    },
  });
  new Counter({
    name: 'mesh_ca_repeated_requests_total',
    help: 'Certificate requests asked again (the first answer was lost or late), answered with the certificate already made',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(deps.repeats());
    },
  });
  new Gauge({
    name: 'mesh_ca_certificate_expiration_timestamp_seconds',
    help: 'When the CA certificate of each backend of each mesh expires (Unix time)',
    labelNames: ['mesh', 'backend'],
    registers: [registry],
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
