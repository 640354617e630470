import { sameList } from '@meshtls/util';
import { enabledBackendOf } from '../mesh/mesh-defaults';
import { mtlsViewOf, type MeshMtlsView } from '../mesh/mesh-mtls.rules';
import type { MeshSpec } from '../mesh/mesh.types';
import {
  CA_SWITCH_WAITING_LISTED,
  type CaSwitchProgress,
  type CaSwitchSpec,
  type CaSwitchState,
  type ControlPlaneInstanceSpec,
  type DataplaneCaAcks,
  type RetainedAnchor,
} from './ca-switch.types';

const listed = (mesh: MeshSpec): string[] => (mesh.mtls?.backends ?? []).map((b) => b.name);

/**
 * The switch that governs `mesh` now: a stored switch counts while it is not done and still leads to the
 * Mesh's enabled backend (a Mesh that moved elsewhere, or turned mTLS off, left it behind).
 */
export function activeCaSwitch(mesh: MeshSpec, sw: CaSwitchSpec | undefined): CaSwitchSpec | undefined {
  if (sw === undefined || sw.state === 'done') return undefined;
  return enabledBackendOf(mesh)?.name === sw.to ? sw : undefined;
}

/**
 * The backend that signs the mesh's certificates now: the one the switch comes from while the fleet has
 * not acknowledged the new CA yet, else the Mesh's enabled backend (undefined when mTLS is off).
 */
export function issuingBackendOf(mesh: MeshSpec, sw: CaSwitchSpec | undefined): string | undefined {
  const enabled = enabledBackendOf(mesh)?.name;
  if (enabled === undefined) return undefined;
  const active = activeCaSwitch(mesh, sw);
  if (
    active?.state === 'waiting-for-bundle' &&
    active.from !== undefined &&
    listed(mesh).includes(active.from)
  )
    return active.from;
  return enabled;
}

/** The backends whose CAs a trust bundle of the mesh holds now: those listed, then those retained. */
export function trustedBackendsOf(mesh: MeshSpec, sw: CaSwitchSpec | undefined): string[] {
  const names = listed(mesh);
  for (const r of activeCaSwitch(mesh, sw)?.retained ?? [])
    if (!names.includes(r.backend)) names.push(r.backend);
  return names;
}

/** The anchors a trust bundle carries for backends no longer in the Mesh. */
export function retainedAnchorsOf(mesh: MeshSpec, sw: CaSwitchSpec | undefined): readonly RetainedAnchor[] {
  const names = listed(mesh);
  return (activeCaSwitch(mesh, sw)?.retained ?? []).filter((r) => !names.includes(r.backend));
}

/** What a connected dataplane depends on, with the switch applied (see `meshMtlsView`). */
export function caSwitchMtlsView(mesh: MeshSpec, sw: CaSwitchSpec | undefined): MeshMtlsView {
  const issuing = issuingBackendOf(mesh, sw);
  return mtlsViewOf(
    mesh.mtls?.backends?.find((b) => b.name === issuing),
    trustedBackendsOf(mesh, sw),
  );
}

export interface CaSwitchPlanContext {
  readonly now: Date;
  readonly newId: () => string;
  /** The anchors of backends being removed, as the store has them now (the CA certificates only). */
  readonly anchorsOf: (backends: readonly string[]) => readonly RetainedAnchor[];
}

/**
 * The switch record a Mesh update leads to, from the Mesh before and after it and the switch stored now:
 * - moving `enabledBackend` starts a switch from the backend issuing now (`waiting-for-bundle`);
 * - dropping backends keeps their CAs in the bundle (`retained`) until no online dataplane holds a
 *   certificate from them (`waiting-for-removal`, or within a switch still reissuing);
 * - turning mTLS on or off, or an update that touches neither, leaves no switch pending.
 * `undefined` means no switch record is needed; the same object as `current` means nothing changes.
 */
export function planCaSwitch(
  before: MeshSpec | undefined,
  after: MeshSpec,
  current: CaSwitchSpec | undefined,
  ctx: CaSwitchPlanContext,
): CaSwitchSpec | undefined {
  const afterEnabled = enabledBackendOf(after)?.name;
  const issuingBefore = before === undefined ? undefined : issuingBackendOf(before, current);
  if (afterEnabled === undefined || issuingBefore === undefined) return undefined;
  const active = activeCaSwitch(before!, current);
  const listedAfter = listed(after);
  const removedNow = listed(before!).filter((b) => !listedAfter.includes(b));
  const kept = (active?.retained ?? []).filter((r) => !listedAfter.includes(r.backend));
  const retained = [...kept, ...ctx.anchorsOf(removedNow.filter((b) => !kept.some((r) => r.backend === b)))];
  const now = ctx.now.toISOString();
  const fresh = (state: CaSwitchState, from?: string): CaSwitchSpec => ({
    id: ctx.newId(),
    ...(from === undefined ? {} : { from }),
    to: afterEnabled,
    state,
    retained,
    startedAt: now,
    stateSince: now,
  });
  if (afterEnabled !== issuingBefore) {
    // The issuing backend still listed: it keeps issuing until the fleet trusts the new one.
    if (listedAfter.includes(issuingBefore)) return fresh('waiting-for-bundle', issuingBefore);
    return fresh('reissuing', issuingBefore);
  }
  if (active !== undefined && active.to === afterEnabled) {
    return sameRetained(active.retained, retained) ? current : { ...active, retained };
  }
  return retained.length === 0 ? undefined : fresh('waiting-for-removal');
}

function sameRetained(a: readonly RetainedAnchor[], b: readonly RetainedAnchor[]): boolean {
  return sameList(
    a.map((r) => r.backend),
    b.map((r) => r.backend),
  );
}

/** Whether a dataplane meets what the switch's state waits for. */
export function caSwitchAcknowledged(sw: CaSwitchSpec, dataplane: DataplaneCaAcks): boolean {
  switch (sw.state) {
    case 'waiting-for-bundle':
      return dataplane.trusted?.includes(sw.to) ?? false;
    case 'reissuing':
      return dataplane.certBackend === sw.to;
    case 'waiting-for-removal':
      return !sw.retained.some((r) => r.backend === dataplane.certBackend);
    case 'done':
      return true;
  }
}

/** One replica's count for a switch over the dataplanes of the mesh it holds. */
export function caSwitchProgressOf(
  sw: CaSwitchSpec,
  dataplanes: Iterable<{ readonly name: string; readonly acks: DataplaneCaAcks }>,
): CaSwitchProgress {
  let total = 0;
  let acknowledged = 0;
  const waitingFor: string[] = [];
  for (const dp of dataplanes) {
    total++;
    if (caSwitchAcknowledged(sw, dp.acks)) acknowledged++;
    else if (waitingFor.length < CA_SWITCH_WAITING_LISTED) waitingFor.push(dp.name);
  }
  return { id: sw.id, state: sw.state, total, acknowledged, waitingFor };
}

/** The fleet's count: complete only when every live replica counted this switch in this state. */
export interface FleetCaSwitchProgress extends CaSwitchProgress {
  readonly complete: boolean;
}

/**
 * The fleet's count from every live replica's report. A replica that has not yet counted this switch in
 * this state may hold dataplanes that have not acknowledged: the count is then not `complete`, and no
 * state is left on it.
 */
export function fleetCaSwitchProgress(
  sw: CaSwitchSpec,
  reports: Iterable<CaSwitchProgress | undefined>,
): FleetCaSwitchProgress {
  let total = 0;
  let acknowledged = 0;
  let complete = true;
  const waitingFor: string[] = [];
  for (const report of reports) {
    if (report === undefined || report.id !== sw.id || report.state !== sw.state) {
      complete = false;
      continue;
    }
    total += report.total;
    acknowledged += report.acknowledged;
    for (const name of report.waitingFor)
      if (waitingFor.length < CA_SWITCH_WAITING_LISTED) waitingFor.push(name);
  }
  return { id: sw.id, state: sw.state, total, acknowledged, waitingFor, complete };
}

/** How often a mesh-api replica writes its report, and how old one may be before its replica counts as gone. */
export const CA_SWITCH_REPORT_INTERVAL_MS = 5_000;
export const CA_SWITCH_REPORT_STALE_MS = 3 * CA_SWITCH_REPORT_INTERVAL_MS;
/** A report silent this long is of a replica killed before it could remove it: the next replica to start removes it. */
export const CA_SWITCH_REPORT_PRUNE_MS = 3_600_000;

/** The reports of replicas alive now: written within `staleAfterMs`. */
export function liveInstanceReports(
  reports: Iterable<ControlPlaneInstanceSpec>,
  now: Date,
  staleAfterMs = CA_SWITCH_REPORT_STALE_MS,
): ControlPlaneInstanceSpec[] {
  const live: ControlPlaneInstanceSpec[] = [];
  for (const r of reports) if (now.getTime() - Date.parse(r.heartbeatAt) <= staleAfterMs) live.push(r);
  return live;
}

/** A mesh's CA switch as `GET /mesh-insights/{mesh}` shows it (`mTLS.caSwitch`). */
export interface CaSwitchStatus {
  readonly from?: string;
  readonly to: string;
  readonly state: CaSwitchState;
  readonly acknowledged: number;
  readonly total: number;
  readonly waitingFor: readonly string[];
  readonly startedAt: string;
  readonly stateSince: string;
}

/**
 * The switch of a mesh with the fleet's count, or undefined when no switch was ever made or the stored
 * one no longer applies to the Mesh. A finished switch shows as `done` with nothing counted.
 */
export function caSwitchStatusOf(
  mesh: MeshSpec,
  sw: CaSwitchSpec | undefined,
  live: readonly ControlPlaneInstanceSpec[],
  meshName: string,
): CaSwitchStatus | undefined {
  if (sw === undefined || enabledBackendOf(mesh)?.name !== sw.to) return undefined;
  const progress =
    sw.state === 'done'
      ? { acknowledged: 0, total: 0, waitingFor: [] }
      : fleetCaSwitchProgress(
          sw,
          live.map((r) => r.caSwitches[meshName]),
        );
  return {
    ...(sw.from === undefined ? {} : { from: sw.from }),
    to: sw.to,
    state: sw.state,
    acknowledged: progress.acknowledged,
    total: progress.total,
    waitingFor: progress.waitingFor,
    startedAt: sw.startedAt,
    stateSince: sw.stateSince,
  };
}

/**
 * The next state once every online dataplane meets the current one: the bundle acknowledged → reissue
 * from the new backend; every certificate from it (or none left from a removed one) → done. Undefined
 * while some dataplane is still waited for.
 */
export function nextCaSwitch(
  sw: CaSwitchSpec,
  progress: CaSwitchProgress | FleetCaSwitchProgress,
  now: Date,
): CaSwitchSpec | undefined {
  if (sw.state === 'done' || progress.id !== sw.id || progress.state !== sw.state) return undefined;
  if (('complete' in progress && !progress.complete) || progress.acknowledged < progress.total)
    return undefined;
  const stateSince = now.toISOString();
  if (sw.state === 'waiting-for-bundle') return { ...sw, state: 'reissuing', stateSince };
  // Every online certificate comes from `to` (or none from a removed backend): nothing retained is needed.
  return { ...sw, state: 'done', retained: [], stateSince };
}

/**
 * An edit refused while a switch waits for the fleet: dropping the backend that still issues (the switch
 * waits for the bundle that would replace it). Returns the backend and why, or undefined.
 */
export function issuingBackendRemoved(
  before: MeshSpec,
  after: MeshSpec,
  sw: CaSwitchSpec | undefined,
): { backend: string; to: string } | undefined {
  const active = activeCaSwitch(before, sw);
  if (active?.state !== 'waiting-for-bundle' || active.from === undefined) return undefined;
  if (enabledBackendOf(after) === undefined) return undefined;
  if (listed(after).includes(active.from)) return undefined;
  return { backend: active.from, to: active.to };
}
