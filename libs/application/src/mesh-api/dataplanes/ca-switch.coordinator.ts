import {
  CA_SWITCH_REPORT_INTERVAL_MS,
  CA_SWITCH_REPORT_STALE_MS,
  CA_SWITCH_REPORT_PRUNE_MS,
  ResourceConflictError,
  ResourceNotFoundError,
  ResourceType,
  activeCaSwitch,
  caSwitchProgressOf,
  fleetCaSwitchProgress,
  liveInstanceReports,
  nextCaSwitch,
  type CaSwitchProgress,
  type CaSwitchSpec,
  type CaSwitchState,
  type ControlPlaneInstanceSpec,
  type MeshSpec,
  type ResourceKey,
  type ResourceRecord,
} from '@meshtls/domain';
import type { ResourceChange, ResourceStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import type { DataplaneSession } from './dataplane-session';
import type { HubLog } from './dataplane-hub.types';
import type { SessionRegistry } from './session-registry';
import { CaSwitchWatchdog, type PendingCaSwitch } from './ca-switch.watchdog';
import { replaceRecord } from '../../shared/replace-record';

export interface CaSwitchOptions {
  /** How long an online dataplane may take to acknowledge what a switch waits for before its stream is ended. */
  readonly ackTimeoutMs?: number;
  /** A switch pending longer than this is reported stuck (metric, log). */
  readonly alertAfterMs?: number;
  /** How often this replica writes its report (its heartbeat). */
  readonly reportIntervalMs?: number;
  /** How old another replica's report may be before that replica counts as gone. */
  readonly staleAfterMs?: number;
}

export interface CaSwitchObserver {
  /** A switch moved to its next state (by this replica). */
  caSwitchAdvanced?(event: { mesh: string; state: CaSwitchState }): void;
  /** A dataplane's stream was ended: it had not acknowledged within the timeout. */
  caSwitchStreamEnded?(event: { mesh: string }): void;
}

export interface CaSwitchCoordinatorDeps {
  readonly store: ResourceStore;
  readonly clock: Clock;
  /** This replica as leases name it (`{instanceId}@{bootId}`): the name of its report. */
  readonly instance: string;
  readonly sessions: SessionRegistry;
  /** Ends a session's stream; its dataplane reconnects and is given the current bundle and certificate. */
  readonly endStream: (session: DataplaneSession, message: string) => void;
  readonly options?: CaSwitchOptions;
  readonly log?: HubLog;
  readonly observer?: CaSwitchObserver;
}

const caSwitchKey = (mesh: string): ResourceKey => ({ type: ResourceType.CaSwitch, mesh, name: mesh });
const instanceKey = (instance: string): ResourceKey => ({
  type: ResourceType.ControlPlaneInstance,
  name: instance,
});

/**
 * Moves CA switches on as the fleet acknowledges them, shared by every mesh-api replica through the store:
 * - each replica counts the dataplanes it holds that meet each pending switch's state and writes that in
 *   its ControlPlaneInstance report when it changes (gathered for 200 ms) and at every heartbeat;
 * - any replica that sees every live replica's report complete for the state moves the CaSwitch record to
 *   the next state, with the record's version (so of two replicas deciding at once, one writes and the
 *   other is refused: a switch is never moved twice);
 * - a replica whose report stops (it died) is not counted after `staleAfterMs`; its dataplanes reconnect
 *   elsewhere and are counted there. Stalled dataplanes: see `CaSwitchWatchdog`.
 */
export class CaSwitchCoordinator {
  private readonly switches = new Map<string, { spec: CaSwitchSpec; version: number }>();
  private readonly meshes = new Map<string, MeshSpec>();
  private readonly reports = new Map<string, ControlPlaneInstanceSpec>();
  private readonly watchdog: CaSwitchWatchdog;
  private readonly alertAfterMs: number;
  private readonly reportIntervalMs: number;
  private readonly staleAfterMs: number;
  private heartbeat?: ReturnType<typeof setInterval>;
  private pendingReport?: ReturnType<typeof setTimeout>;
  private ticking?: Promise<void>;
  private tickAgain = false;
  private reportDue = false;
  private heartbeatDue = false;
  private lastReport?: string;
  private stopped = false;

  constructor(private readonly deps: CaSwitchCoordinatorDeps) {
    const options = deps.options ?? {};
    this.alertAfterMs = options.alertAfterMs ?? 15 * 60_000;
    this.reportIntervalMs = options.reportIntervalMs ?? CA_SWITCH_REPORT_INTERVAL_MS;
    this.staleAfterMs = options.staleAfterMs ?? CA_SWITCH_REPORT_STALE_MS;
    this.watchdog = new CaSwitchWatchdog({
      clock: deps.clock,
      ackTimeoutMs: options.ackTimeoutMs ?? 5 * 60_000,
      sessionsOf: (mesh) => deps.sessions.ofMesh(mesh),
      endStream: deps.endStream,
      log: deps.log,
      observer: deps.observer,
    });
  }

  /** Reads the switches, meshes and reports there are, writes this replica's report, and starts its heartbeat. */
  async start(): Promise<void> {
    const [switches, meshes, reports] = await Promise.all([
      this.deps.store.list(ResourceType.CaSwitch),
      this.deps.store.list(ResourceType.Mesh),
      this.deps.store.list(ResourceType.ControlPlaneInstance),
    ]);
    for (const r of meshes.items) this.meshes.set(r.meta.name, r.spec as MeshSpec);
    for (const r of switches.items)
      if (r.meta.mesh !== undefined)
        this.switches.set(r.meta.mesh, { spec: r.spec as CaSwitchSpec, version: r.meta.version });
    // The report of a replica silent for an hour (killed, so it never removed it) is removed here.
    const now = this.deps.clock.now().getTime();
    for (const { meta, spec } of reports.items as ResourceRecord<ControlPlaneInstanceSpec>[]) {
      if (now - Date.parse(spec.heartbeatAt) <= CA_SWITCH_REPORT_PRUNE_MS) this.reports.set(meta.name, spec);
      else await this.deps.store.delete(meta, meta.version).catch(() => undefined);
    }
    this.heartbeat = setInterval(() => void this.tick(true), this.reportIntervalMs);
    this.heartbeat.unref?.();
    await this.tick(true);
  }

  /** Stops the heartbeat and removes this replica's report: the others stop waiting for it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.pendingReport) clearTimeout(this.pendingReport);
    await this.ticking?.catch(() => undefined);
    await this.deps.store.delete(instanceKey(this.deps.instance)).catch(() => undefined);
  }

  /** A store change (every change the hub follows); returns the mesh whose switch changed, if one did. */
  onChange(change: ResourceChange): string | undefined {
    const key = change.kind === 'upsert' ? change.record.meta : change.key;
    if (key.type === ResourceType.Mesh) {
      if (change.kind === 'upsert') this.meshes.set(key.name, change.record.spec as MeshSpec);
      else this.meshes.delete(key.name);
      return undefined;
    }
    if (key.type === ResourceType.ControlPlaneInstance) {
      if (change.kind === 'upsert')
        this.reports.set(key.name, change.record.spec as ControlPlaneInstanceSpec);
      else this.reports.delete(key.name);
      // Another replica's count may complete the fleet's: decided soon, without writing a report back.
      if (key.name !== this.deps.instance) this.schedule(false);
      return undefined;
    }
    if (key.type !== ResourceType.CaSwitch || key.mesh === undefined) return undefined;
    if (change.kind === 'upsert')
      this.switches.set(key.mesh, {
        spec: change.record.spec as CaSwitchSpec,
        version: change.record.meta.version,
      });
    else this.switches.delete(key.mesh);
    // This replica counts the new state at once, so the others are not held up by it.
    this.progressChanged();
    return key.mesh;
  }

  /** The switch record of `mesh` as last seen (the rules decide whether it still applies). */
  switchOf(mesh: string): CaSwitchSpec | undefined {
    return this.switches.get(mesh)?.spec;
  }

  /** The Mesh as last seen. */
  meshOf(mesh: string): MeshSpec | undefined {
    return this.meshes.get(mesh);
  }

  /** A dataplane here acknowledged something, connected or left: the report is written soon, if it changed. */
  progressChanged(): void {
    this.schedule(true);
  }

  private schedule(report: boolean): void {
    this.reportDue ||= report;
    if (this.stopped || this.pendingReport !== undefined) return;
    this.pendingReport = setTimeout(() => {
      this.pendingReport = undefined;
      void this.tick();
    }, 200);
    this.pendingReport.unref?.();
  }

  /** The switches applying to their meshes and not done: for metrics and the alert. */
  pending(): PendingCaSwitch[] {
    const now = this.deps.clock.now().getTime();
    return [...this.active()].map(([mesh, sw]) => {
      const pendingMs = now - Date.parse(sw.startedAt);
      return {
        mesh,
        spec: sw,
        pendingSeconds: Math.max(0, pendingMs / 1000),
        stuck: pendingMs > this.alertAfterMs,
      };
    });
  }

  /**
   * Writes this replica's report, moves on what the fleet completed, ends streams that waited too long.
   * One at a time: a tick asked for while one runs runs once after it.
   */
  tick(heartbeat = false): Promise<void> {
    this.heartbeatDue ||= heartbeat;
    if (this.ticking) {
      this.tickAgain = true;
      return this.ticking;
    }
    const run = async (): Promise<void> => {
      do {
        this.tickAgain = false;
        await this.tickOnce();
      } while (this.tickAgain && !this.stopped);
    };
    this.ticking = run().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async tickOnce(): Promise<void> {
    if (this.stopped) return;
    try {
      const mine = this.myProgress();
      // Written at every heartbeat (it tells the others this replica lives), else only when it changed.
      const text = JSON.stringify(mine);
      if (this.heartbeatDue || (this.reportDue && text !== this.lastReport)) {
        this.heartbeatDue = false;
        await this.writeReport(mine);
        this.lastReport = text;
      }
      this.reportDue = false;
      await this.advance(mine);
      this.watchdog.check(this.pending());
    } catch (error) {
      this.deps.log?.('warn', `CA switch check failed: ${(error as Error).message}`);
    }
  }

  /** The switches that apply to their meshes now and are not done. */
  private *active(): Iterable<[string, CaSwitchSpec]> {
    for (const [mesh, { spec }] of this.switches) {
      const meshSpec = this.meshes.get(mesh);
      if (meshSpec !== undefined && activeCaSwitch(meshSpec, spec) !== undefined) yield [mesh, spec];
    }
  }

  private myProgress(): Record<string, CaSwitchProgress> {
    const progress: Record<string, CaSwitchProgress> = {};
    for (const [mesh, sw] of this.active()) {
      const sessions = this.deps.sessions.ofMesh(mesh).filter((s) => !s.closed);
      progress[mesh] = caSwitchProgressOf(
        sw,
        sessions.map((s) => ({ name: s.name, acks: s.caAcks })),
      );
    }
    return progress;
  }

  private async writeReport(caSwitches: Record<string, CaSwitchProgress>): Promise<void> {
    const spec: ControlPlaneInstanceSpec = {
      instance: this.deps.instance,
      heartbeatAt: this.deps.clock.now().toISOString(),
      caSwitches,
    };
    this.reports.set(this.deps.instance, spec);
    await replaceRecord(this.deps.store, instanceKey(this.deps.instance), spec);
  }

  private async advance(mine: Record<string, CaSwitchProgress>): Promise<void> {
    const now = this.deps.clock.now();
    const live = liveInstanceReports(this.reports.values(), now, this.staleAfterMs).filter(
      (r) => r.instance !== this.deps.instance,
    );
    for (const [mesh, sw] of this.active()) {
      const fleet = fleetCaSwitchProgress(sw, [mine[mesh], ...live.map((r) => r.caSwitches[mesh])]);
      const next = nextCaSwitch(sw, fleet, now);
      if (next === undefined) continue;
      const version = this.switches.get(mesh)!.version;
      try {
        await this.deps.store.update(caSwitchKey(mesh), next, version);
      } catch (error) {
        // Another replica moved it first, or the operator changed the switch: the watch brings the news.
        if (error instanceof ResourceConflictError || error instanceof ResourceNotFoundError) continue;
        throw error;
      }
      this.deps.log?.(
        'info',
        `CA switch of mesh "${mesh}" to "${sw.to}": ${sw.state} → ${next.state} (${fleet.acknowledged}/${fleet.total} online dataplanes)`,
      );
      this.deps.observer?.caSwitchAdvanced?.({ mesh, state: next.state });
    }
  }
}
