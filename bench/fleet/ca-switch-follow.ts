/**
 * What the CA switch benchmark (ca-switch.bench.ts) follows: a switch through `GET /mesh-insights/{mesh}`,
 * and the fleet's certificates and trust bundles as its workers report them.
 */
import type { Replica, Topology } from '@meshtls/testing';
import type { FleetIdentityEvent, FleetTrustEvent } from './fleet-worker';

/** `mTLS.caSwitch` of a mesh insight. */
export interface CaSwitchStatus {
  readonly from?: string;
  readonly to: string;
  readonly state: string;
  readonly acknowledged: number;
  readonly total: number;
  readonly waitingFor: readonly string[];
  readonly startedAt: string;
  readonly stateSince: string;
}

/** A switch followed through the mesh insight. */
export interface Followed {
  /** State → epoch ms it began, by the switch record (`stateSince`). */
  readonly since: Map<string, number>;
  /** State → epoch ms a read of the insight first showed it. */
  readonly seen: Map<string, number>;
  /** How long each read of the insight took, ms. */
  readonly readMs: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads the mesh insight (`pollMs` after each answer) until the switch to `to` begun at or after `since`
 * is done, logging each state as first seen; throws after `timeoutMs`.
 */
export async function followCaSwitch(
  topology: Topology,
  replica: Replica,
  mesh: string,
  to: string,
  since: number,
  pollMs: number,
  timeoutMs = 900_000,
): Promise<Followed> {
  const seen = new Map<string, number>();
  const sinceOf = new Map<string, number>();
  const readMs: number[] = [];
  const deadline = Date.now() + timeoutMs;
  let last: CaSwitchStatus | undefined;
  for (;;) {
    const t = Date.now();
    const response = await fetch(`${replica.url}/mesh-insights/${mesh}`, {
      headers: { authorization: `Bearer ${topology.adminToken}` },
    });
    const insight = (await response.json()) as { mTLS?: { caSwitch?: CaSwitchStatus } };
    readMs.push(Date.now() - t);
    const sw = insight.mTLS?.caSwitch;
    // A switch that began before `since` (1 s of slack for the record's clock) is the previous one.
    if (sw && sw.to === to && Date.parse(sw.startedAt) >= since - 1000) {
      if (!seen.has(sw.state)) {
        seen.set(sw.state, Date.now());
        sinceOf.set(sw.state, Date.parse(sw.stateSince));
        const waiting =
          sw.waitingFor.length > 0 ? `, waiting for ${sw.waitingFor.slice(0, 3).join(', ')}…` : '';
        console.log(
          `  ${((Date.now() - since) / 1000).toFixed(2)} s: ${sw.state} (${sw.acknowledged}/${sw.total}${waiting})`,
        );
      }
      last = sw;
      if (sw.state === 'done') return { since: sinceOf, seen, readMs };
    }
    if (Date.now() > deadline)
      throw new Error(
        `switch not done within ${timeoutMs} ms: ${JSON.stringify(last ?? insight.mTLS ?? null)}`,
      );
    await sleep(pollMs);
  }
}

/**
 * Waits up to `timeoutMs` until each of `size` dataplanes received an identity matching `match` at or after
 * `since`; returns the dataplanes (indexes) that had not by then.
 */
export async function untilEveryIdentity(
  events: readonly FleetIdentityEvent[],
  size: number,
  since: number,
  match: (e: FleetIdentityEvent) => boolean,
  timeoutMs: number,
): Promise<number[]> {
  const got = new Set<number>();
  let scanned = 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (; scanned < events.length; scanned++) {
      const e = events[scanned]!;
      if (e.at >= since && match(e)) got.add(e.index);
    }
    if (got.size === size) return [];
    if (Date.now() > deadline) return Array.from({ length: size }, (_, i) => i).filter((i) => !got.has(i));
    await sleep(20);
  }
}

/**
 * When the last of `size` dataplanes had received a trust bundle matching `match` at or after `since`
 * (each dataplane's first such bundle); undefined while some have not.
 */
export function everyTrustBy(
  trusts: readonly FleetTrustEvent[],
  size: number,
  since: number,
  match: (t: FleetTrustEvent) => boolean,
): number | undefined {
  const first = new Map<number, number>();
  for (const t of trusts) if (t.at >= since && match(t) && !first.has(t.index)) first.set(t.index, t.at);
  return first.size === size ? [...first.values()].reduce((a, b) => Math.max(a, b)) : undefined;
}

/** {@link everyTrustBy}, waiting up to `timeoutMs` for it. */
export async function untilEveryTrust(
  trusts: readonly FleetTrustEvent[],
  size: number,
  since: number,
  match: (t: FleetTrustEvent) => boolean,
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = everyTrustBy(trusts, size, since, match);
    if (at !== undefined || Date.now() > deadline) return at;
    await sleep(200);
  }
}
