import { randomUUID } from 'node:crypto';
import {
  ResourceAlreadyExistsError,
  ResourceConflictError,
  ResourceType,
  ValidationError,
  issuingBackendRemoved,
  planCaSwitch,
  type CaSwitchSpec,
  type MeshSpec,
  type MtlsBackend,
  type RetainedAnchor,
} from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';

/** The CA certificate of each backend given, as mesh-api's store has it (one that cannot be read is left out). */
export type CaAnchorReader = (
  mesh: string,
  backends: readonly MtlsBackend[],
) => Promise<readonly RetainedAnchor[]>;

/** How many times a switch record changed by another writer meanwhile is read and planned again. */
const ATTEMPTS = 3;

/**
 * What a Mesh update does to the mesh's CA switch, decided before the Mesh is stored (see `planCaSwitch`):
 * a new switch or a removal is written first, so no replica ever sees the new Mesh without the switch that
 * holds issuance back. A switch the update abandons (moved back, mTLS off) needs no write: a switch that no
 * longer leads to the enabled backend no longer applies.
 */
export class CaSwitchPlanner {
  constructor(
    private readonly store: ResourceStore,
    private readonly anchors: CaAnchorReader,
    private readonly clock: Clock,
    private readonly newId: () => string = randomUUID,
  ) {}

  /**
   * Refuses removing the backend that still issues while the switch away from it waits for the fleet;
   * writes the switch record the update leads to; returns the warnings the PUT answers with.
   */
  async prepare(mesh: string, before: MeshSpec, after: MeshSpec): Promise<string[]> {
    const key = { type: ResourceType.CaSwitch, mesh, name: mesh };
    const listedAfter = new Set((after.mtls?.backends ?? []).map((b) => b.name));
    const removed = (before.mtls?.backends ?? []).filter((b) => !listedAfter.has(b.name));
    const anchors = removed.length === 0 ? [] : await this.anchors(mesh, removed);
    for (let attempt = 1; ; attempt++) {
      const record = await this.store.get(key);
      const current = record?.spec as CaSwitchSpec | undefined;
      const refused = issuingBackendRemoved(before, after, current);
      if (refused) {
        throw new ValidationError([
          {
            field: 'mtls.backends',
            message: `backend "${refused.backend}" still issues certificates: the switch to "${refused.to}" waits for every online dataplane to acknowledge a trust bundle with its CA (see GET /mesh-insights/${mesh}, mTLS.caSwitch); remove it once the switch has moved on`,
          },
        ]);
      }
      const plan = planCaSwitch(before, after, current, {
        now: this.clock.now(),
        newId: this.newId,
        anchorsOf: (names) => anchors.filter((a) => names.includes(a.backend)),
      });
      if (plan === undefined || plan === current) return [];
      try {
        if (record) await this.store.update(key, plan, record.meta.version);
        else await this.store.create(key, plan);
      } catch (error) {
        const raced = error instanceof ResourceConflictError || error instanceof ResourceAlreadyExistsError;
        if (raced && attempt < ATTEMPTS) continue;
        throw error;
      }
      return caSwitchWarnings(mesh, plan, removed, anchors);
    }
  }
}

function caSwitchWarnings(
  mesh: string,
  sw: CaSwitchSpec,
  removed: readonly MtlsBackend[],
  anchors: readonly RetainedAnchor[],
): string[] {
  const follow = `follow it with GET /mesh-insights/${mesh} (mTLS.caSwitch) or meshctl inspect meshes`;
  const warnings: string[] = [];
  if (sw.state === 'waiting-for-bundle') {
    warnings.push(
      `mtls.enabledBackend: the switch from "${sw.from}" to "${sw.to}" is pending: "${sw.from}" keeps issuing certificates until every online dataplane has acknowledged a trust bundle with the CA of "${sw.to}"; ${follow}`,
    );
  }
  for (const r of sw.retained) {
    if (!removed.some((b) => b.name === r.backend)) continue;
    warnings.push(
      `mtls.backends: the CA of "${r.backend}" stays in the trust bundle until no online dataplane holds a certificate from it; ${follow}`,
    );
  }
  for (const b of removed) {
    if (anchors.some((a) => a.backend === b.name)) continue;
    warnings.push(
      `mtls.backends: the CA of "${b.name}" could not be read: it leaves the trust bundle at once, and dataplanes still holding its certificates are no longer trusted`,
    );
  }
  return warnings;
}
