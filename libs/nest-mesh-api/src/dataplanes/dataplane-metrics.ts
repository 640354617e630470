import type { DataplaneHub, HubObserver } from '@meshtls/application';
import { metricsIn } from '@meshtls/nest-core';
import type { Registry } from 'prom-client';

export type DataplaneMetrics = Required<HubObserver> & {
  retried(cause: 'unanswered' | 'shed'): void;
  rejected(mesh: string): void;
};

/**
 * mesh-api's dataplane metrics: certificates given to dataplanes (by mesh, backend and reason),
 * failures, how long an issuance took (CSR round trip and signing); the hub's own gauges are in
 * dataplaneGauges.
 */
export function dataplaneMetrics(registry: Registry): DataplaneMetrics {
  const metric = metricsIn(registry);
  const issued = metric.counter({
    name: 'mesh_dataplane_certificates_issued_total',
    help: 'Certificates given to dataplanes, by mesh, backend and reason (new, rotation, restart, reconnect, control-plane-restart, mesh-change, dataplane-change)',
    labelNames: ['mesh', 'backend', 'reason'],
  });
  const failed = metric.counter({
    name: 'mesh_dataplane_certificate_failures_total',
    help: 'Certificate issuances that failed, by mesh and reason',
    labelNames: ['mesh', 'reason'],
  });
  const duration = metric.histogram({
    name: 'mesh_dataplane_certificate_issue_duration_seconds',
    help: 'Time to give a dataplane a certificate: CSR round trip, admission and signing',
    labelNames: ['reason'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const retries = metric.counter({
    name: 'mesh_dataplane_certificate_request_retries_total',
    help: 'Certificate requests to ca-signer asked again, by cause: unanswered (a ca-signer died with it, or none is up) or shed (ca-signer saturated)',
    labelNames: ['cause'],
  });
  const rejected = metric.counter({
    name: 'mesh_dataplane_certificates_rejected_total',
    help: 'Certificates ca-signer answered that mesh-api refused to forward (wrong CA, key, names, validity or stated facts)',
    labelNames: ['mesh'],
  });
  const rotationsRefused = metric.counter({
    name: 'mesh_dataplane_rotations_refused_total',
    help: 'Rotate requests refused, by mesh and reason: stale (they named another certificate than the one the dataplane holds) or not-due (its rotation time has not come)',
    labelNames: ['mesh', 'reason'],
  });
  const limited = metric.counter({
    name: 'mesh_dataplane_issuances_limited_total',
    help: 'Certificates asked for beyond a dataplane’s issuance rate (MESH_DP_ISSUE_RATE_PER_MINUTE), by mesh, reason and outcome: refused (connects and rotations, asked again later) or delayed (mesh and tag changes)',
    labelNames: ['mesh', 'reason', 'outcome'],
  });
  const trafficRefused = metric.counter({
    name: 'mesh_dataplane_traffic_refused_total',
    help: 'Traffic messages not sent to a dataplane because the stream could not carry them (more permissions or bytes than its schema allows), by mesh; each distinct message once',
    labelNames: ['mesh'],
  });
  const changesFailed = metric.counter({
    name: 'mesh_dataplane_changes_failed_total',
    help: 'Resource changes (Mesh, Dataplane, MeshTrafficPermission) that could not be applied to the connected dataplanes, by type',
    labelNames: ['type'],
  });
  const renewals = metric.counter({
    name: 'mesh_dataplane_renewal_requests_total',
    help: 'Certificates a dataplane asked for itself (its rotation overdue), by mesh and outcome: honoured (due or expired) or ignored (not due)',
    labelNames: ['mesh', 'outcome'],
  });
  const switchesAdvanced = metric.counter({
    name: 'mesh_ca_switch_transitions_total',
    help: 'CA switch states this replica moved a mesh to, once every online dataplane acknowledged the one before (reissuing, done), by mesh and state',
    labelNames: ['mesh', 'state'],
  });
  const switchStreamsEnded = metric.counter({
    name: 'mesh_ca_switch_streams_ended_total',
    help: 'Dataplane streams ended because the dataplane did not acknowledge what a CA switch waits for within MESH_CA_SWITCH_ACK_TIMEOUT (it reconnects and gets the current bundle and certificate), by mesh',
    labelNames: ['mesh'],
  });
  return {
    caSwitchAdvanced: (e) => switchesAdvanced.inc({ mesh: e.mesh, state: e.state }),
    caSwitchStreamEnded: (e) => switchStreamsEnded.inc({ mesh: e.mesh }),
    retried: (cause) => retries.inc({ cause }),
    rejected: (mesh: string) => rejected.inc({ mesh }),
    issued: (e) => {
      issued.inc({ mesh: e.mesh, backend: e.backend, reason: e.reason });
      duration.observe({ reason: e.reason }, e.seconds);
    },
    failed: (e) => failed.inc({ mesh: e.mesh, reason: e.reason }),
    rotationRefused: (e) => rotationsRefused.inc({ mesh: e.mesh, reason: e.reason }),
    issuanceLimited: (e) => limited.inc({ mesh: e.mesh, reason: e.reason, outcome: e.outcome }),
    trafficRefused: (e) => trafficRefused.inc({ mesh: e.mesh }),
    changeFailed: (e) => changesFailed.inc({ type: e.type }),
    renewalRequested: (e) => renewals.inc({ mesh: e.mesh, outcome: e.honoured ? 'honoured' : 'ignored' }),
  };
}

/** The hub's gauges, read from it per scrape: streams connected here, and those whose traffic is withheld. */
export function dataplaneGauges(
  registry: Registry,
  hub: Pick<DataplaneHub, 'connected' | 'trafficWithheld' | 'caSwitches'>,
): void {
  const metric = metricsIn(registry);
  metric.gauge({
    name: 'mesh_ca_switch_pending_seconds',
    help: 'How long the CA switch of a mesh has been pending, by mesh and state (waiting-for-bundle, reissuing, waiting-for-removal); no series while none is',
    labelNames: ['mesh', 'state'],
    collect() {
      this.reset();
      for (const p of hub.caSwitches.pending())
        this.set({ mesh: p.mesh, state: p.spec.state }, p.pendingSeconds);
    },
  });
  metric.gauge({
    name: 'mesh_ca_switch_stuck',
    help: 'A CA switch pending longer than MESH_CA_SWITCH_ALERT_AFTER (1), by mesh: what the MeshCaSwitchStuck alert fires on',
    labelNames: ['mesh'],
    collect() {
      this.reset();
      for (const p of hub.caSwitches.pending()) this.set({ mesh: p.mesh }, p.stuck ? 1 : 0);
    },
  });
  metric.gauge({
    name: 'mesh_dataplanes_traffic_withheld',
    help: 'Dataplanes connected to this replica whose latest traffic message could not be sent (they keep the one before)',
    collect() {
      this.set(hub.trafficWithheld);
    },
  });
  metric.gauge({
    name: 'mesh_dataplanes_connected',
    help: 'Dataplane streams connected to this mesh-api replica',
    collect() {
      this.set(hub.connected);
    },
  });
}
