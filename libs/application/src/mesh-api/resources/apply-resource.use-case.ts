import { MAX_TRAFFIC_PERMISSIONS } from '@meshtls/contracts';
import {
  ResourceType,
  ValidationError,
  dataplanesOverPermissionLimit,
  mtlsReplacementViolation,
  parseResource,
  permissionSelects,
  type DataplaneSpec,
  type MeshSpec,
  type MeshTrafficPermissionSpec,
  type NamedPermission,
  type ParsedResource,
  type ResourceKey,
  type ResourceRecord,
  type Violation,
} from '@meshtls/domain';
import type { ApiCaller } from '@meshtls/contracts';
import type { ResourceStore } from '@meshtls/store';
import type { MeshCaGateway } from '../ca-gateway/mesh-ca.gateway';
import type { CaSwitchPlanner } from './ca-switch.planner';

/** Fields the API renders but a client may send back unchanged (`get -o yaml | apply -f -`). */
const READ_ONLY_FIELDS = ['creationTime', 'modificationTime'] as const;

export interface ApplyResourceCommand {
  /** Where the request put it (the URL): type, mesh and name the body must agree with. */
  readonly target: ResourceKey;
  /** The decoded body (JSON or YAML). */
  readonly document: unknown;
  /** Who asked (anonymous unless said): only an admin is told why a file data source could not be read. */
  readonly caller?: ApiCaller;
}

export interface ApplyResourceResult {
  readonly created: boolean;
  readonly record: ResourceRecord;
  readonly warnings: readonly string[];
}

/**
 * Creates or updates one resource (PUT). Validates the body, checks it agrees with the URL and that its mesh
 * exists, then writes with optimistic concurrency: a concurrent writer makes this a conflict, never a lost update.
 */
export class ApplyResourceUseCase {
  /**
   * `ca`: checks and prepares the CA backends of a Mesh (ca-signer); without it Meshes are stored as
   * given. `maxPermissionsPerDataplane`: how many MeshTrafficPermissions may select one dataplane (all of
   * them travel in one message to it); the protocol's limit unless a test says otherwise.
   */
  constructor(
    private readonly store: ResourceStore,
    private readonly ca?: MeshCaGateway,
    private readonly maxPermissionsPerDataplane = MAX_TRAFFIC_PERMISSIONS,
    /** Holds a CA switch back until the fleet acknowledges it; without it a switch takes effect when stored. */
    private readonly caSwitches?: CaSwitchPlanner,
  ) {}

  async execute(command: ApplyResourceCommand): Promise<ApplyResourceResult> {
    const parsed = parseResource(withoutReadOnlyFields(command.document));
    assertMatchesTarget(parsed.key, command.target);
    await this.assertMeshExists(parsed.key);
    await this.assertPermissionLimit(parsed.key, parsed.spec);
    // Read before the (slow) preparation: a writer that changes it meanwhile makes this a conflict,
    // so of two updates racing from two replicas one wins and the other is told.
    const existing = await this.store.get(parsed.key);
    if (existing && parsed.key.type === ResourceType.Mesh) {
      const violation = mtlsReplacementViolation(existing.spec as MeshSpec, parsed.spec as MeshSpec);
      if (violation) throw new ValidationError([violation]);
    }
    const warnings = [...parsed.warnings, ...(await this.typeWarnings(parsed, command.caller))];
    if (existing && parsed.key.type === ResourceType.Mesh && this.caSwitches) {
      const mesh = parsed.key.name;
      warnings.push(
        ...(await this.caSwitches.prepare(mesh, existing.spec as MeshSpec, parsed.spec as MeshSpec)),
      );
    }
    if (!existing) {
      const record = await this.store.create(parsed.key, parsed.spec);
      return { created: true, record, warnings };
    }
    const record = await this.store.update(parsed.key, parsed.spec, existing.meta.version);
    return { created: false, record, warnings };
  }

  /** What a type adds to the parse's warnings: a Mesh's CA checks. */
  private async typeWarnings(parsed: ParsedResource, caller?: ApiCaller): Promise<readonly string[]> {
    if (parsed.key.type !== ResourceType.Mesh) return [];
    return this.prepareMesh(parsed.key.name, parsed.spec as MeshSpec, caller);
  }

  /** Validates the mTLS backends (provided CAs in full) and makes sure each has its CA before the Mesh is stored. */
  private async prepareMesh(mesh: string, spec: MeshSpec, caller?: ApiCaller): Promise<readonly string[]> {
    if (!this.ca || !spec.mtls?.backends?.length) return [];
    const report = await this.ca.validate(mesh, spec.mtls, caller);
    if (report.violations.length > 0) throw new ValidationError(report.violations);
    await this.ca.ensure(mesh, spec.mtls);
    return report.warnings;
  }

  /**
   * A MeshTrafficPermission (or a Dataplane) that would make more permissions than the limit select a
   * dataplane is refused: the dataplane could not be sent them. Only counted once the mesh holds more
   * permissions than the limit at all.
   */
  private async assertPermissionLimit(key: ResourceKey, spec: unknown): Promise<void> {
    const mesh = key.mesh;
    if (mesh === undefined) return;
    if (key.type !== ResourceType.MeshTrafficPermission && key.type !== ResourceType.Dataplane) return;
    const limit = this.maxPermissionsPerDataplane;
    const { total } = await this.store.list(ResourceType.MeshTrafficPermission, { mesh, limit: 0 });
    if (total + 1 <= limit) return;
    const stored = await this.store.list(ResourceType.MeshTrafficPermission, { mesh });
    const permissions: NamedPermission[] = stored.items
      .filter((r) => !(key.type === ResourceType.MeshTrafficPermission && r.meta.name === key.name))
      .map((r) => ({ name: r.meta.name, spec: r.spec as MeshTrafficPermissionSpec }));
    let candidates: { name: string; spec: DataplaneSpec }[];
    if (key.type === ResourceType.MeshTrafficPermission) {
      const permission = spec as MeshTrafficPermissionSpec;
      permissions.push({ name: key.name, spec: permission });
      const dataplanes = await this.store.list(ResourceType.Dataplane, { mesh });
      candidates = dataplanes.items
        .map((r) => ({ name: r.meta.name, spec: r.spec as DataplaneSpec }))
        .filter((d) => permissionSelects(permission, d.name, d.spec));
    } else {
      candidates = [{ name: key.name, spec: spec as DataplaneSpec }];
    }
    const over = dataplanesOverPermissionLimit(permissions, candidates, limit, 1)[0];
    if (over === undefined) return;
    const why = `at most ${limit} MeshTrafficPermissions may select one dataplane (they are all sent to it in one message)`;
    throw new ValidationError([
      key.type === ResourceType.MeshTrafficPermission
        ? {
            field: 'spec.targetRef',
            message: `selects dataplane "${over.dataplane}", which would then be selected by ${over.permissions} MeshTrafficPermissions: ${why}`,
          }
        : {
            field: 'networking.inbound',
            message: `would be selected by ${over.permissions} MeshTrafficPermissions: ${why}`,
          },
    ]);
  }

  private async assertMeshExists(key: ResourceKey): Promise<void> {
    if (key.mesh === undefined) return;
    const mesh = await this.store.get({ type: ResourceType.Mesh, name: key.mesh });
    if (!mesh) {
      throw new ValidationError([{ field: 'mesh', message: `mesh of name "${key.mesh}" is not found` }]);
    }
  }
}

function withoutReadOnlyFields(document: unknown): unknown {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return document;
  const copy: Record<string, unknown> = { ...(document as Record<string, unknown>) };
  for (const field of READ_ONLY_FIELDS) delete copy[field];
  return copy;
}

function assertMatchesTarget(actual: ResourceKey, target: ResourceKey): void {
  const violations: Violation[] = [];
  if (actual.type !== target.type) {
    violations.push({
      field: 'type',
      message: `type from the URL has to be the same as in body ("${target.type}")`,
    });
  }
  if (actual.name !== target.name) {
    violations.push({ field: 'name', message: 'name from the URL has to be the same as in body' });
  }
  if (actual.mesh !== target.mesh) {
    violations.push({ field: 'mesh', message: 'mesh from the URL has to be the same as in body' });
  }
  if (violations.length > 0) throw new ValidationError(violations);
}
