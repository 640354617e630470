import { X509Certificate } from 'node:crypto';
import { trustBundle } from '@meshtls/contracts';
import {
  ResourceNotFoundError,
  ResourceType,
  meshInsightOf,
  toUniversal,
  type DataplaneInsightSpec,
  type MeshInsightSummary,
  type ResourceRecord,
} from '@meshtls/domain';
import { PemLabel, pemBlocks } from '@meshtls/pki';
import type { MessageBus } from '@meshtls/bus';
import type { ResourceStore } from '@meshtls/store';
import type { PageRequest } from '../resources/resource-queries';
import { insightKey } from '../../shared/insight-key';

/** A Dataplane with its insight, as Kuma's `dataplanes+insights` answers it. */
export interface DataplaneOverview {
  readonly type: 'DataplaneOverview';
  readonly mesh: string;
  readonly name: string;
  readonly creationTime: string;
  readonly modificationTime: string;
  readonly dataplane: Record<string, unknown>;
  readonly dataplaneInsight: Record<string, unknown>;
}

/** Kuma's MeshInsight, with the expiry of every CA of the mesh. */
export interface MeshInsight extends MeshInsightSummary {
  readonly type: 'MeshInsight';
  readonly name: string;
  /** Each backend's CA certificate: when it expires. */
  readonly caCertificates: readonly { backend: string; subject: string; notAfter: string }[];
}

/** Reads Dataplanes together with their insights, and a mesh's summary. */
export class InsightQueries {
  constructor(
    private readonly store: ResourceStore,
    private readonly bus: MessageBus,
  ) {}

  async overviews(mesh: string, page: PageRequest): Promise<{ total: number; items: DataplaneOverview[] }> {
    await this.meshOrThrow(mesh);
    const dataplanes = await this.store.list(ResourceType.Dataplane, {
      mesh,
      offset: page.offset,
      limit: page.size,
    });
    const insights = await Promise.all(
      dataplanes.items.map((d) => this.store.get(insightKey(mesh, d.meta.name))),
    );
    return {
      total: dataplanes.total,
      items: dataplanes.items.map((d, i) => overviewOf(d, insights[i])),
    };
  }

  async overview(mesh: string, name: string): Promise<DataplaneOverview> {
    const key = { type: ResourceType.Dataplane, mesh, name };
    const dataplane = await this.store.get(key);
    if (!dataplane) throw new ResourceNotFoundError(key);
    return overviewOf(dataplane, await this.store.get(insightKey(mesh, name)));
  }

  async meshInsight(mesh: string): Promise<MeshInsight> {
    await this.meshOrThrow(mesh);
    const [dataplanes, insights] = await Promise.all([
      this.store.list(ResourceType.Dataplane, { mesh }),
      this.store.list(ResourceType.DataplaneInsight, { mesh }),
    ]);
    const byName = new Map(insights.items.map((r) => [r.meta.name, r.spec as DataplaneInsightSpec]));
    const summary = meshInsightOf(
      dataplanes.items.map((d) => d.meta.name),
      byName,
    );
    return { type: 'MeshInsight', name: mesh, ...summary, caCertificates: await this.caCertificates(mesh) };
  }

  async meshInsights(): Promise<MeshInsight[]> {
    const meshes = await this.store.list(ResourceType.Mesh);
    return Promise.all(meshes.items.map((m) => this.meshInsight(m.meta.name)));
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

  private async meshOrThrow(mesh: string): Promise<void> {
    const key = { type: ResourceType.Mesh, name: mesh };
    if (!(await this.store.get(key))) throw new ResourceNotFoundError(key);
  }
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
  const shown = insight ? toUniversal(insight) : { subscriptions: [] };
  const {
    type: _it,
    mesh: _im,
    name: _in,
    creationTime: _ic,
    modificationTime: _imt,
    ...insightSpec
  } = shown;
  return {
    type: 'DataplaneOverview',
    mesh: dataplane.meta.mesh ?? '',
    name: dataplane.meta.name,
    creationTime: dataplane.meta.creationTime,
    modificationTime: dataplane.meta.modificationTime,
    dataplane: spec,
    dataplaneInsight: insightSpec,
  };
}
