import { X509Certificate } from 'node:crypto';
import { trustBundle } from '@meshtls/contracts';
import {
  MESH_INSIGHT_COUNTED_TYPES,
  ResourceNotFoundError,
  ResourceType,
  dataplaneInsightView,
  matchesDataplaneFilter,
  meshInsightOf,
  meshInsightView,
  toUniversal,
  type DataplaneFilter,
  type DataplaneInsightSpec,
  type CaSwitchSpec,
  type CaSwitchStatus,
  type ControlPlaneInstanceSpec,
  type DataplaneSpec,
  type MeshSpec,
  type ResourceRecord,
  caSwitchStatusOf,
  liveInstanceReports,
} from '@meshtls/domain';
import { PemLabel, pemBlocks } from '@meshtls/pki';
import type { MessageBus } from '@meshtls/bus';
import type { ResourceStore } from '@meshtls/store';
import type { PageRequest } from '../resources/resource-queries';
import { insightKey } from '../../shared/insight-key';

/**
 * A Dataplane with its insight, as Kuma's `dataplanes+insights` answers it; `dataplaneInsight` is left
 * out for a dataplane the control plane has observed nothing of.
 */
export interface DataplaneOverview {
  readonly type: 'DataplaneOverview';
  readonly mesh: string;
  readonly name: string;
  readonly creationTime: string;
  readonly modificationTime: string;
  readonly kri: string;
  readonly dataplane: Record<string, unknown>;
  readonly dataplaneInsight?: Record<string, unknown>;
}

/** Kuma's MeshInsight (as Kuma prints it), with the expiry of every CA of the mesh. */
export interface MeshInsight extends Record<string, unknown> {
  readonly type: 'MeshInsight';
  readonly name: string;
  readonly creationTime: string;
  readonly modificationTime: string;
  /** Each backend's CA certificate: when it expires. */
  readonly caCertificates: readonly { backend: string; subject: string; notAfter: string }[];
}

/** Reads Dataplanes together with their insights, and a mesh's summary. */
export class InsightQueries {
  constructor(
    private readonly store: ResourceStore,
    private readonly bus: MessageBus,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A page of the mesh's dataplanes with their insights, of those passing `filter` when one is given. */
  async overviews(
    mesh: string,
    page: PageRequest,
    filter?: DataplaneFilter,
  ): Promise<{ total: number; items: DataplaneOverview[] }> {
    await this.meshOrThrow(mesh);
    const filtering =
      filter !== undefined && (filter.gateway !== undefined || Object.keys(filter.tags).length > 0);
    let total: number;
    let items: readonly ResourceRecord[];
    if (filtering) {
      const all = await this.store.list(ResourceType.Dataplane, { mesh });
      const kept = all.items.filter((d) => matchesDataplaneFilter(d.spec as DataplaneSpec, filter));
      total = kept.length;
      items = kept.slice(page.offset, page.offset + page.size);
    } else {
      ({ total, items } = await this.store.list(ResourceType.Dataplane, {
        mesh,
        offset: page.offset,
        limit: page.size,
      }));
    }
    const insights = await Promise.all(items.map((d) => this.store.get(insightKey(mesh, d.meta.name))));
    return { total, items: items.map((d, i) => overviewOf(d, insights[i])) };
  }

  async overview(mesh: string, name: string): Promise<DataplaneOverview> {
    const key = { type: ResourceType.Dataplane, mesh, name };
    const dataplane = await this.store.get(key);
    if (!dataplane) throw new ResourceNotFoundError(key);
    return overviewOf(dataplane, await this.store.get(insightKey(mesh, name)));
  }

  async meshInsight(mesh: string): Promise<MeshInsight> {
    const meshRecord = await this.meshOrThrow(mesh);
    const others = MESH_INSIGHT_COUNTED_TYPES.filter((t) => t !== ResourceType.Dataplane);
    const [dataplanes, insights, counts, caCertificates, caSwitch] = await Promise.all([
      this.store.list(ResourceType.Dataplane, { mesh }),
      this.store.list(ResourceType.DataplaneInsight, { mesh }),
      Promise.all(others.map((type) => this.store.list(type, { mesh, limit: 1 }))),
      this.caCertificates(mesh),
      this.caSwitch(mesh, meshRecord.spec as MeshSpec),
    ]);
    const byName = new Map(insights.items.map((r) => [r.meta.name, r.spec as DataplaneInsightSpec]));
    const spec = meshInsightOf(
      dataplanes.items.map((d) => ({ name: d.meta.name, spec: d.spec as DataplaneSpec })),
      byName,
      Object.fromEntries(others.map((type, i) => [type, counts[i]!.total])),
    );
    // Computed when read: it last changed when the mesh, a dataplane or an insight of it last did.
    const modificationTime = [meshRecord, ...dataplanes.items, ...insights.items]
      .map((r) => r.meta.modificationTime)
      .reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
    return {
      type: 'MeshInsight',
      name: mesh,
      creationTime: meshRecord.meta.creationTime,
      modificationTime,
      ...meshInsightView(spec, caSwitch),
      caCertificates,
    };
  }

  async meshInsights(): Promise<MeshInsight[]> {
    const meshes = await this.store.list(ResourceType.Mesh);
    return Promise.all(meshes.items.map((m) => this.meshInsight(m.meta.name)));
  }

  /** The mesh's CA switch, counted from the reports of the mesh-api replicas alive now. */
  private async caSwitch(mesh: string, spec: MeshSpec): Promise<CaSwitchStatus | undefined> {
    const record = await this.store.get({ type: ResourceType.CaSwitch, mesh, name: mesh });
    if (!record) return undefined;
    const reports = await this.store.list(ResourceType.ControlPlaneInstance);
    const live = liveInstanceReports(
      reports.items.map((r) => r.spec as ControlPlaneInstanceSpec),
      this.now(),
    );
    return caSwitchStatusOf(spec, record.spec as CaSwitchSpec, live, mesh);
  }

  /** The CAs of the mesh's backends (from ca-signer), with their expiry; none while mTLS is off. */
  private async caCertificates(mesh: string): Promise<MeshInsight['caCertificates']> {
    const { trustBundle: anchors } = await this.bus.request(trustBundle, { mesh });
    return anchors.flatMap((anchor) => {
      const certs = pemBlocks(anchor.certPem).filter((b) => b.label === PemLabel.Certificate);
      return certs.map(({ pem }) => {
        const cert = new X509Certificate(pem);
        return {
          backend: anchor.backend,
          subject: cert.subject.replace(/\n/g, ', '),
          notAfter: new Date(cert.validTo).toISOString(),
        };
      });
    });
  }

  private async meshOrThrow(mesh: string): Promise<ResourceRecord> {
    const key = { type: ResourceType.Mesh, name: mesh };
    const record = await this.store.get(key);
    if (!record) throw new ResourceNotFoundError(key);
    return record;
  }
}

/** Kuma's resource identifier of a universal Dataplane: `kri_dp_{mesh}_{zone}_{namespace}_{name}_{section}`. */
function dataplaneKri(mesh: string, name: string): string {
  return `kri_dp_${mesh}___${name}_`;
}

function overviewOf(dataplane: ResourceRecord, insight: ResourceRecord | undefined): DataplaneOverview {
  const {
    type: _t,
    mesh: _m,
    name: _n,
    creationTime: _c,
    modificationTime: _mt,
    ...spec
  } = toUniversal(dataplane);
  const mesh = dataplane.meta.mesh ?? '';
  return {
    type: 'DataplaneOverview',
    mesh,
    name: dataplane.meta.name,
    creationTime: dataplane.meta.creationTime,
    modificationTime: dataplane.meta.modificationTime,
    kri: dataplaneKri(mesh, dataplane.meta.name),
    dataplane: spec,
    ...(insight ? { dataplaneInsight: dataplaneInsightView(insight.spec as DataplaneInsightSpec) } : {}),
  };
}
