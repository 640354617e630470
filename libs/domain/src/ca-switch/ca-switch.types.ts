/**
 * A CA switch in progress on a mesh: the control plane's own record of how far the fleet has come, kept
 * in the store beside the Mesh (one per mesh, named after it) so every mesh-api replica acts on the same
 * state. Users read it in `GET /mesh-insights/{mesh}` (`mTLS.caSwitch`), never write it.
 */
export const CA_SWITCH_STATES = ['waiting-for-bundle', 'reissuing', 'waiting-for-removal', 'done'] as const;
export type CaSwitchState = (typeof CA_SWITCH_STATES)[number];

/** The CA of a backend removed from the Mesh, still trusted until no online dataplane holds its certificate. */
export interface RetainedAnchor {
  readonly backend: string;
  readonly certPem: string;
}

export interface CaSwitchSpec {
  /** New for every switch; with `state`, what a replica's report answers for. */
  readonly id: string;
  /** The backend that issued before the switch; absent when only a backend's removal is pending. */
  readonly from?: string;
  /** The Mesh's `enabledBackend` the switch leads to. */
  readonly to: string;
  /**
   * - `waiting-for-bundle`: `from` still issues; every online dataplane must acknowledge a trust bundle
   *   holding `to`'s CA first;
   * - `reissuing`: `to` issues; every online dataplane gets a certificate from it;
   * - `waiting-for-removal`: removed backends stay in the bundle until no online dataplane holds a
   *   certificate from one of them;
   * - `done`: nothing pending.
   */
  readonly state: CaSwitchState;
  /** Backends removed from the Mesh whose CAs are still sent in trust bundles. */
  readonly retained: readonly RetainedAnchor[];
  readonly startedAt: string;
  readonly stateSince: string;
}

/** What one dataplane has acknowledged of its CAs: what a switch waits for. */
export interface DataplaneCaAcks {
  /** Backends of the last trust bundle it acknowledged (with a certificate or alone). */
  readonly trusted?: readonly string[];
  /** Backend of the certificate it acknowledged last. */
  readonly certBackend?: string;
}

/** One replica's part of the switches it knows of, per mesh. */
export interface CaSwitchProgress {
  /** The switch (`id`) and the state this count is for. */
  readonly id: string;
  readonly state: CaSwitchState;
  /** Online dataplanes of the mesh on that replica, and how many meet the state's condition. */
  readonly total: number;
  readonly acknowledged: number;
  /** Names of the first dataplanes still waited for. */
  readonly waitingFor: readonly string[];
}

/**
 * A mesh-api replica's report, written on every change of its progress and every few seconds while it
 * lives (the heartbeat that tells the others it still holds streams), removed when it stops.
 */
export interface ControlPlaneInstanceSpec {
  readonly instance: string;
  readonly heartbeatAt: string;
  readonly caSwitches: Readonly<Record<string, CaSwitchProgress>>;
}

/** How many dataplane names a progress report or the mesh insight lists. */
export const CA_SWITCH_WAITING_LISTED = 20;
