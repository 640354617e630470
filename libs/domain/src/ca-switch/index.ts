export { CA_SWITCH_STATES, CA_SWITCH_WAITING_LISTED } from './ca-switch.types';
export type {
  CaSwitchProgress,
  CaSwitchSpec,
  CaSwitchState,
  ControlPlaneInstanceSpec,
  DataplaneCaAcks,
  RetainedAnchor,
} from './ca-switch.types';
export {
  CA_SWITCH_REPORT_INTERVAL_MS,
  CA_SWITCH_REPORT_STALE_MS,
  CA_SWITCH_REPORT_PRUNE_MS,
  activeCaSwitch,
  caSwitchStatusOf,
  liveInstanceReports,
  caSwitchAcknowledged,
  caSwitchMtlsView,
  caSwitchProgressOf,
  fleetCaSwitchProgress,
  issuingBackendOf,
  issuingBackendRemoved,
  nextCaSwitch,
  planCaSwitch,
  retainedAnchorsOf,
  trustedBackendsOf,
} from './ca-switch.rules';
export type { CaSwitchPlanContext, CaSwitchStatus, FleetCaSwitchProgress } from './ca-switch.rules';
export { CA_SWITCH_SPEC, CONTROL_PLANE_INSTANCE_SPEC } from './ca-switch.validator';
