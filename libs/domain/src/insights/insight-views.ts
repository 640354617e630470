import type { CaSwitchStatus } from '../ca-switch/ca-switch.rules';
import type { DataplaneInsightSpec, DataplaneSubscription } from './dataplane-insight.rules';
import type { DataplaneStat, MeshInsightSpec, ResourceStat } from './mesh-insight.rules';

/**
 * Insights as Kuma's API prints them (protobuf JSON): a zero count, an empty string, an empty list or
 * map is left out, while a message that is present shows, if only as `{}`. What the control plane keeps
 * for itself (serials already counted, the notBefore of the shown certificate) is not shown.
 */

type Json = Record<string, unknown>;

/** Kuma's per-service counters of a stream (`DiscoveryServiceStats`); none are counted here. */
const STREAM_STATS = ['total', 'cds', 'eds', 'lds', 'rds'] as const;

/** A DataplaneInsight as Kuma shows it inside a DataplaneOverview. */
export function dataplaneInsightView(insight: DataplaneInsightSpec): Json {
  const view: Json = {};
  if (insight.subscriptions.length > 0) {
    view.subscriptions = insight.subscriptions.map((s) => subscriptionView(s, insight));
  }
  const mtls = insight.mTLS;
  if (mtls) {
    view.mTLS = withoutEmpty({
      certificateExpirationTime: mtls.certificateExpirationTime,
      lastCertificateRegeneration: mtls.lastCertificateRegeneration,
      certificateRegenerations: mtls.certificateRegenerations,
      issuedBackend: mtls.issuedBackend,
      supportedBackends: [...mtls.supportedBackends],
    });
  }
  // Beyond Kuma: streams a newer stream of the same dataplane took over.
  Object.assign(
    view,
    withoutEmpty({ replacedStreams: insight.replacedStreams, lastReplacedTime: insight.lastReplacedTime }),
  );
  return view;
}

/**
 * One stream in Kuma's `DiscoverySubscription` shape. Its `status.lastUpdateTime` is when the control
 * plane last sent the dataplane something on it: the certificate issued while it was open, or its start.
 */
function subscriptionView(s: DataplaneSubscription, insight: DataplaneInsightSpec): Json {
  const issued = insight.mTLS?.lastCertificateRegeneration;
  const during =
    issued !== undefined &&
    Date.parse(issued) >= Date.parse(s.connectTime) &&
    (s.disconnectTime === undefined || Date.parse(issued) < Date.parse(s.disconnectTime));
  const status: Json = { lastUpdateTime: during ? issued : s.connectTime };
  for (const stat of STREAM_STATS) status[stat] = {};
  return withoutEmpty({
    id: s.id,
    controlPlaneInstanceId: s.controlPlaneInstanceId,
    connectTime: s.connectTime,
    disconnectTime: s.disconnectTime,
    status,
    // Beyond Kuma: why the control plane ended the stream.
    disconnectReason: s.disconnectReason,
  });
}

/** A MeshInsight's spec as Kuma prints it, fields in Kuma's order. */
export function meshInsightView(insight: MeshInsightSpec, caSwitch?: CaSwitchStatus): Json {
  return withoutEmpty({
    dataplanes: statView(insight.dataplanes),
    policies: mapView(insight.policies, totalView),
    dpVersions: withoutEmpty({
      kumaDp: mapView(insight.dpVersions.kumaDp, statView),
      envoy: mapView(insight.dpVersions.envoy, statView),
    }),
    mTLS: withoutEmpty({
      issuedBackends: mapView(insight.mTLS.issuedBackends, statView),
      supportedBackends: mapView(insight.mTLS.supportedBackends, statView),
      // Ours: the mesh's CA switch and how far the fleet has acknowledged it.
      caSwitch: caSwitch === undefined ? undefined : { ...caSwitch, waitingFor: [...caSwitch.waitingFor] },
    }),
    services: withoutEmpty({ ...insight.services }),
    dataplanesByType: {
      standard: statView(insight.dataplanesByType.standard),
      gateway: statView(insight.dataplanesByType.gateway),
      gatewayBuiltin: statView(insight.dataplanesByType.gatewayBuiltin),
      gatewayDelegated: statView(insight.dataplanesByType.gatewayDelegated),
    },
    resources: mapView(insight.resources, totalView),
  });
}

function statView(stat: DataplaneStat): Json {
  return withoutEmpty({
    total: stat.total,
    online: stat.online,
    offline: stat.offline,
    partiallyDegraded: stat.partiallyDegraded,
  });
}

const totalView = (stat: ResourceStat): Json => withoutEmpty({ total: stat.total });

/** A map with its keys sorted (as Go prints a map); undefined, so left out, when empty. */
function mapView<T>(map: Readonly<Record<string, T>>, view: (value: T) => Json): Json | undefined {
  if (Object.keys(map).length === 0) return undefined;
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((key) => [key, view(map[key]!)]),
  );
}

/** Leaves out zero numbers, empty strings, empty lists and undefined; an empty object stays `{}`. */
function withoutEmpty(fields: Json): Json {
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([, v]) => v !== undefined && v !== 0 && v !== '' && !(Array.isArray(v) && v.length === 0),
    ),
  );
}
