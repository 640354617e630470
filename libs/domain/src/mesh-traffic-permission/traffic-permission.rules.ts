import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { SERVICE_TAG } from '../validation/tags.validator';
import {
  SpiffeIdMatchType,
  TargetRefKind,
  TrafficAction,
  type MeshTrafficPermissionSpec,
  type TargetRef,
  type TrafficMatch,
} from './mesh-traffic-permission.types';

/** Who calls, read from the SAN URIs of its certificate. */
export interface ClientIdentity {
  /** Tag → every value the certificate names (a dataplane may carry several services). */
  readonly tags: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every `spiffe://` URI of the certificate, as `rules` matchers compare them. */
  readonly spiffeIds: ReadonlySet<string>;
  /** The SNI the client sent in its ClientHello, if any (what `sni` matchers compare). */
  readonly serverName?: string;
}

/** Who is called: one inbound of a dataplane. */
export interface ServerInbound {
  readonly dataplane: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The Dataplane's labels (`labels` of its resource); none when left out. */
  readonly labels?: Readonly<Record<string, string>>;
  /** What a `sectionName` names this inbound by: its `name`, or its port when it has none. */
  readonly section?: string;
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
  /** The policy and its entry (`from[0]`, `rules[0].deny[1]`), or undefined when nothing matched. */
  readonly rule?: { readonly policy: string; readonly entry: string };
  /** AllowWithShadowDeny: allowed, but to be logged as a connection Deny would refuse. */
  readonly shadowDeny: boolean;
}

/**
 * Mesh < MeshSubset < MeshService < MeshServiceSubset < Dataplane: the more specific selection wins.
 */
const SPECIFICITY: Readonly<Record<TargetRefKind, number>> = {
  [TargetRefKind.Mesh]: 0,
  [TargetRefKind.MeshSubset]: 1,
  [TargetRefKind.MeshService]: 2,
  [TargetRefKind.MeshServiceSubset]: 3,
  [TargetRefKind.Dataplane]: 4,
};

const DENY_BY_DEFAULT: TrafficDecision = { allowed: false, action: TrafficAction.Deny, shadowDeny: false };

/**
 * The client identity a certificate carries in this mesh: `spiffe://{mesh}/{service}` and
 * `kuma://kuma.io/service/{service}` give `kuma.io/service`, `kuma://{tag}/{value}` any other tag (tag
 * names may hold `/`, values never do: the value is after the last one). A certificate without a SPIFFE
 * ID of this mesh yields no identity (undefined).
 */
export function clientIdentityOf(mesh: string, sanUris: readonly string[]): ClientIdentity | undefined {
  const tags = new Map<string, Set<string>>();
  const spiffeIds = new Set<string>();
  const add = (tag: string, value: string) => {
    if (tag === '' || value === '') return;
    const values = tags.get(tag) ?? new Set<string>();
    values.add(value);
    tags.set(tag, values);
  };
  const spiffePrefix = `spiffe://${mesh}/`;
  let ofThisMesh = false;
  for (const uri of sanUris) {
    if (uri.startsWith('spiffe://')) spiffeIds.add(uri);
    if (uri.startsWith(spiffePrefix) && uri.length > spiffePrefix.length) {
      ofThisMesh = true;
      add(SERVICE_TAG, uri.slice(spiffePrefix.length));
    } else if (uri.startsWith('kuma://')) {
      const rest = uri.slice('kuma://'.length);
      const slash = rest.lastIndexOf('/');
      if (slash > 0) add(rest.slice(0, slash), rest.slice(slash + 1));
    }
  }
  return ofThisMesh ? { tags, spiffeIds } : undefined;
}

/**
 * Whether `client` may open a connection to `server`, as Kuma decides it for one inbound.
 *
 * When a policy selecting the inbound has `rules`, those decide and every `from` is ignored: a `deny`
 * matcher of any of them refuses, else an `allow` or `allowWithShadowDeny` matcher lets in, else Deny.
 *
 * Otherwise `from`: of the entries of every policy whose `targetRef` selects the server and whose own
 * `targetRef` selects the client, the one with the most specific `from.targetRef` wins; between equally
 * specific ones, the entry of the more specific policy (by `targetRef` kind; between Dataplane ones, by
 * name over labels, then with a sectionName over without), then by name, later names winning; within a
 * policy, the later entry. Nothing matching means Deny.
 */
export function decideTraffic(
  permissions: readonly NamedPermission[],
  server: ServerInbound,
  client: ClientIdentity,
): TrafficDecision {
  const selecting = permissions.filter(({ spec }) => selectsServer(spec.targetRef, server));
  const withRules = selecting.filter(({ spec }) => (spec.rules?.length ?? 0) > 0);
  return withRules.length > 0 ? decideByRules(withRules, client) : decideByFrom(selecting, client);
}

function decideByRules(permissions: readonly NamedPermission[], client: ClientIdentity): TrafficDecision {
  const first = (list: 'deny' | 'allow' | 'allowWithShadowDeny') => {
    for (const { name, spec } of permissions) {
      for (const [i, rule] of (spec.rules ?? []).entries()) {
        const j = (rule.default[list] ?? []).findIndex((m) => matchesClient(m, client));
        if (j >= 0) return { policy: name, entry: `rules[${i}].${list}[${j}]` };
      }
    }
    return undefined;
  };
  const deny = first('deny');
  if (deny) return { allowed: false, action: TrafficAction.Deny, rule: deny, shadowDeny: false };
  const shadow = first('allowWithShadowDeny');
  if (shadow) {
    return { allowed: true, action: TrafficAction.AllowWithShadowDeny, rule: shadow, shadowDeny: true };
  }
  const allow = first('allow');
  if (allow) return { allowed: true, action: TrafficAction.Allow, rule: allow, shadowDeny: false };
  return DENY_BY_DEFAULT;
}

/** Every matcher given must match (SPIFFE ID and SNI); one with neither matches nobody. */
function matchesClient(match: TrafficMatch, client: ClientIdentity): boolean {
  if (!match.spiffeID && !match.sni) return false;
  if (match.sni && match.sni.value !== client.serverName) return false;
  if (!match.spiffeID) return true;
  const { type, value } = match.spiffeID;
  if (type === SpiffeIdMatchType.Exact) return client.spiffeIds.has(value);
  for (const id of client.spiffeIds) if (id.startsWith(value)) return true;
  return false;
}

function decideByFrom(permissions: readonly NamedPermission[], client: ClientIdentity): TrafficDecision {
  type Candidate = { permission: NamedPermission; index: number; action: TrafficAction };
  let best: Candidate | undefined;
  for (const permission of permissions) {
    for (const [index, entry] of (permission.spec.from ?? []).entries()) {
      if (!selectsClient(entry.targetRef, client)) continue;
      const candidate = { permission, index, action: entry.default.action };
      if (!best || compareFromEntries(candidate, best) > 0) best = candidate;
    }
  }
  if (!best) return DENY_BY_DEFAULT;
  return {
    allowed: best.action !== TrafficAction.Deny,
    action: best.action,
    rule: { policy: best.permission.name, entry: `from[${best.index}]` },
    shadowDeny: best.action === TrafficAction.AllowWithShadowDeny,
  };
}

/** Positive when entry `a` takes precedence over `b`. */
function compareFromEntries(
  a: { permission: NamedPermission; index: number },
  b: { permission: NamedPermission; index: number },
): number {
  const fromA = a.permission.spec.from![a.index].targetRef;
  const fromB = b.permission.spec.from![b.index].targetRef;
  const topA = a.permission.spec.targetRef;
  const topB = b.permission.spec.targetRef;
  return (
    SPECIFICITY[fromA.kind] - SPECIFICITY[fromB.kind] ||
    SPECIFICITY[topA.kind] - SPECIFICITY[topB.kind] ||
    compareDataplaneRefs(topA, topB) ||
    (a.permission.name === b.permission.name ? 0 : a.permission.name < b.permission.name ? -1 : 1) ||
    a.index - b.index
  );
}

/** Between two Dataplane targetRefs: by name over by labels, then with a sectionName over without. */
function compareDataplaneRefs(a: TargetRef, b: TargetRef): number {
  if (a.kind !== TargetRefKind.Dataplane || b.kind !== TargetRefKind.Dataplane) return 0;
  if (a.name !== undefined && b.labels !== undefined) return 1;
  if (a.labels !== undefined && b.name !== undefined) return -1;
  return Number(a.sectionName !== undefined) - Number(b.sectionName !== undefined);
}

/** The inbounds of a dataplane as MeshTrafficPermission sees them: name, labels, each inbound's tags. */
export function serverInboundsOf(dataplane: string, spec: DataplaneSpec): ServerInbound[] {
  return spec.networking.inbound.map((inbound) => ({
    dataplane,
    tags: inbound.tags,
    labels: spec.labels,
    section: inbound.name ?? String(inbound.port),
  }));
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
  // Every dataplane here is a sidecar (there are no gateways).
  if (ref.proxyTypes !== undefined && !ref.proxyTypes.includes('Sidecar')) return false;
  const hasTags = (tags: Readonly<Record<string, string>> | undefined) =>
    Object.entries(tags ?? {}).every(([tag, value]) => server.tags[tag] === value);
  switch (ref.kind) {
    case TargetRefKind.Mesh:
      return true;
    case TargetRefKind.MeshSubset:
      return hasTags(ref.tags);
    case TargetRefKind.MeshService:
      return server.tags[SERVICE_TAG] === ref.name;
    case TargetRefKind.MeshServiceSubset:
      return server.tags[SERVICE_TAG] === ref.name && hasTags(ref.tags);
    case TargetRefKind.Dataplane:
      return (
        (ref.name === undefined || ref.name === server.dataplane) &&
        Object.entries(ref.labels ?? {}).every(([label, value]) => server.labels?.[label] === value) &&
        (ref.sectionName === undefined || ref.sectionName === server.section)
      );
  }
}

function selectsClient(ref: TargetRef, client: ClientIdentity): boolean {
  const hasTags = (tags: Readonly<Record<string, string>> | undefined) =>
    Object.entries(tags ?? {}).every(([tag, value]) => client.tags.get(tag)?.has(value) ?? false);
  const ofService = (name: string | undefined) =>
    name !== undefined && (client.tags.get(SERVICE_TAG)?.has(name) ?? false);
  switch (ref.kind) {
    case TargetRefKind.Mesh:
      return true;
    case TargetRefKind.MeshSubset:
      return hasTags(ref.tags);
    case TargetRefKind.MeshService:
      return ofService(ref.name);
    case TargetRefKind.MeshServiceSubset:
      return ofService(ref.name) && hasTags(ref.tags);
    case TargetRefKind.Dataplane:
      return false; // not a valid `from` kind: a client is known by its certificate, not by its resource name
  }
}
