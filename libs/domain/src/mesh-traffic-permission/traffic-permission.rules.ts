import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { SERVICE_TAG } from '../validation/tags.validator';
import {
  TargetRefKind,
  TrafficAction,
  type MeshTrafficPermissionSpec,
  type TargetRef,
} from './mesh-traffic-permission.types';

/** Who calls: the tags of a client, read from the SAN URIs of its certificate. */
export interface ClientIdentity {
  /** Tag → every value the certificate names (a dataplane may carry several services). */
  readonly tags: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Who is called: one inbound of a dataplane. */
export interface ServerInbound {
  readonly dataplane: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface NamedPermission {
  readonly name: string;
  readonly spec: MeshTrafficPermissionSpec;
}

/** The outcome for one connection, and the rule that decided it (for logs and metrics). */
export interface TrafficDecision {
  readonly allowed: boolean;
  /** The action that applied; `Deny` when nothing matched (deny by default). */
  readonly action: TrafficAction;
  /** `{policy}` `from[{index}]`, or undefined when no policy matched. */
  readonly rule?: { readonly policy: string; readonly from: number };
  /** AllowWithShadowDeny: allowed, but to be logged as a connection Deny would refuse. */
  readonly shadowDeny: boolean;
}

/** Mesh < MeshSubset < MeshService < Dataplane: the more specific selection wins (Kuma's order). */
const SPECIFICITY: Readonly<Record<TargetRefKind, number>> = {
  [TargetRefKind.Mesh]: 0,
  [TargetRefKind.MeshSubset]: 1,
  [TargetRefKind.MeshService]: 2,
  [TargetRefKind.Dataplane]: 3,
};

/**
 * The client identity a certificate carries in this mesh: `spiffe://{mesh}/{service}` gives
 * `kuma.io/service`, `kuma://{tag}/{value}` any other tag. Names of other meshes are ignored; a
 * certificate with no service of this mesh yields no identity (undefined).
 */
export function clientIdentityOf(mesh: string, sanUris: readonly string[]): ClientIdentity | undefined {
  const tags = new Map<string, Set<string>>();
  const add = (tag: string, value: string) => {
    if (value === '') return;
    const values = tags.get(tag) ?? new Set<string>();
    values.add(value);
    tags.set(tag, values);
  };
  const spiffePrefix = `spiffe://${mesh}/`;
  for (const uri of sanUris) {
    if (uri.startsWith(spiffePrefix)) add(SERVICE_TAG, uri.slice(spiffePrefix.length));
    else if (uri.startsWith('kuma://')) {
      const rest = uri.slice('kuma://'.length);
      const slash = rest.indexOf('/');
      if (slash > 0) add(rest.slice(0, slash), rest.slice(slash + 1));
    }
  }
  return tags.has(SERVICE_TAG) ? { tags } : undefined;
}

/**
 * Whether `client` may open a connection to `server`, under Kuma's merging of MeshTrafficPermissions:
 * of the `from` entries of every policy whose `targetRef` selects the server and whose own `targetRef`
 * selects the client, the one with the most specific `from.targetRef` wins; between equally specific
 * ones, the entry of the more specific policy (by `targetRef` kind, then by name, later names winning);
 * within a policy, the later entry. Nothing matching means Deny.
 */
export function decideTraffic(
  permissions: readonly NamedPermission[],
  server: ServerInbound,
  client: ClientIdentity,
): TrafficDecision {
  type Candidate = { key: RankKey; action: TrafficAction; policy: string };
  let best: Candidate | undefined;
  for (const { name, spec } of permissions) {
    if (!selectsServer(spec.targetRef, server)) continue;
    for (const [index, entry] of spec.from.entries()) {
      if (!selectsClient(entry.targetRef, client)) continue;
      const key: RankKey = [SPECIFICITY[entry.targetRef.kind], SPECIFICITY[spec.targetRef.kind], name, index];
      if (!best || compareKeys(key, best.key) > 0) best = { key, action: entry.default.action, policy: name };
    }
  }
  if (!best) return { allowed: false, action: TrafficAction.Deny, shadowDeny: false };
  return {
    allowed: best.action !== TrafficAction.Deny,
    action: best.action,
    rule: { policy: best.policy, from: best.key[3] },
    shadowDeny: best.action === TrafficAction.AllowWithShadowDeny,
  };
}

/** from-kind specificity, policy-kind specificity, policy name, index of the entry: higher wins. */
type RankKey = readonly [number, number, string, number];

/** The inbounds of a dataplane as MeshTrafficPermission sees them: its name and each inbound's tags. */
export function serverInboundsOf(dataplane: string, spec: DataplaneSpec): ServerInbound[] {
  return spec.networking.inbound.map((inbound) => ({ dataplane, tags: inbound.tags }));
}

/**
 * The permissions that can decide anything for this dataplane: those whose `targetRef` selects one of
 * its inbounds. What a dataplane is sent, so it never learns the policies of services it does not serve.
 */
export function permissionsFor(
  permissions: Iterable<NamedPermission>,
  dataplane: string,
  spec: DataplaneSpec,
): NamedPermission[] {
  const inbounds = serverInboundsOf(dataplane, spec);
  const selected: NamedPermission[] = [];
  for (const permission of permissions) {
    if (inbounds.some((inbound) => selectsServer(permission.spec.targetRef, inbound)))
      selected.push(permission);
  }
  return selected.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether `permission` selects one of the inbounds of a dataplane (it is sent to that dataplane). */
export function permissionSelects(
  permission: MeshTrafficPermissionSpec,
  dataplane: string,
  spec: DataplaneSpec,
): boolean {
  return serverInboundsOf(dataplane, spec).some((inbound) => selectsServer(permission.targetRef, inbound));
}

/**
 * Of `dataplanes`, those selected by more than `limit` of `permissions` (every MeshTrafficPermission of
 * their mesh, as it would be), each with the count; in the order given, the first `atMost` only. A
 * dataplane is sent every permission selecting it, and its message holds a bounded number of them.
 */
export function dataplanesOverPermissionLimit(
  permissions: readonly NamedPermission[],
  dataplanes: Iterable<{ readonly name: string; readonly spec: DataplaneSpec }>,
  limit: number,
  atMost = 3,
): { dataplane: string; permissions: number }[] {
  const over: { dataplane: string; permissions: number }[] = [];
  if (permissions.length <= limit) return over;
  for (const { name, spec } of dataplanes) {
    let count = 0;
    for (const permission of permissions) if (permissionSelects(permission.spec, name, spec)) count++;
    if (count > limit) over.push({ dataplane: name, permissions: count });
    if (over.length >= atMost) break;
  }
  return over;
}

function selectsServer(ref: TargetRef, server: ServerInbound): boolean {
  switch (ref.kind) {
    case TargetRefKind.Mesh:
      return true;
    case TargetRefKind.MeshSubset:
      return Object.entries(ref.tags ?? {}).every(([tag, value]) => server.tags[tag] === value);
    case TargetRefKind.MeshService:
      return server.tags[SERVICE_TAG] === ref.name;
    case TargetRefKind.Dataplane:
      return (
        (ref.name === undefined || ref.name === server.dataplane) &&
        Object.entries(ref.tags ?? {}).every(([tag, value]) => server.tags[tag] === value)
      );
  }
}

function selectsClient(ref: TargetRef, client: ClientIdentity): boolean {
  switch (ref.kind) {
    case TargetRefKind.Mesh:
      return true;
    case TargetRefKind.MeshSubset:
      return Object.entries(ref.tags ?? {}).every(
        ([tag, value]) => client.tags.get(tag)?.has(value) ?? false,
      );
    case TargetRefKind.MeshService:
      return ref.name !== undefined && (client.tags.get(SERVICE_TAG)?.has(ref.name) ?? false);
    case TargetRefKind.Dataplane:
      return false; // not a valid `from` kind: a client is known by its certificate, not by its resource name
  }
}

function compareKeys(a: RankKey, b: RankKey): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  if (a[2] !== b[2]) return a[2] < b[2] ? -1 : 1;
  return a[3] - b[3];
}
