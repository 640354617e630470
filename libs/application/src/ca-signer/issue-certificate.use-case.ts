import {
  ResourceType,
  activeCaSwitch,
  dataplaneCertificateProfile,
  enabledBackendOf,
  type CaSwitchSpec,
  type DataplaneSpec,
  type MeshSpec,
  type MtlsBackend,
} from '@meshtls/domain';
import { verifyCsr } from '@meshtls/pki';
import type { ResourceStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import type { CaRegistry } from './ca-registry';
import { TrustBundleQuery } from './trust-bundle.query';
import { recordOrWait } from '../shared/record-awaiter';
import { DataplaneNotFoundError, MeshNotFoundError, MtlsDisabledError } from '../ports/ca.errors';
import {
  StaleIssueRequestError,
  type IssueCertificateCommand,
  type IssueCertificateResult,
} from '../ports/issue-certificate.contract';

/**
 * Issues a dataplane certificate from exactly the revisions the requester acted on: the Mesh and
 * Dataplane it names (waited for while this store catches up, up to `catchUpMs`), and the backend it
 * chose from that Mesh. The names come from the stored Dataplane (never from the CSR); the certificate
 * is checked before it leaves (SigningCa.issue).
 */
export class IssueCertificateUseCase {
  constructor(
    private readonly store: ResourceStore,
    private readonly registry: CaRegistry,
    private readonly clock: Clock,
    private readonly trust: TrustBundleQuery = new TrustBundleQuery(store, registry),
    /**
     * How long a Mesh or Dataplane this store does not hold yet is waited for: mesh-api registers a
     * Dataplane and asks for its certificate at once, and this replica's store may be a moment behind.
     */
    private readonly catchUpMs = 5_000,
  ) {}

  async execute(command: IssueCertificateCommand): Promise<IssueCertificateResult> {
    const mesh = await recordOrWait(
      this.store,
      { type: ResourceType.Mesh, name: command.mesh },
      this.catchUpMs,
      command.meshVersion,
    );
    if (!mesh) throw new MeshNotFoundError(command.mesh);
    const dataplane = await recordOrWait(
      this.store,
      { type: ResourceType.Dataplane, mesh: command.mesh, name: command.dataplane },
      this.catchUpMs,
      command.dataplaneVersion,
    );
    if (!dataplane) throw new DataplaneNotFoundError(command.mesh, command.dataplane);
    const stale = (what: string, held: number, asked: number) =>
      new StaleIssueRequestError(
        `${what} of ${command.mesh}/${command.dataplane} is at revision ${held} here, the request names ${asked}`,
      );
    if (mesh.meta.version !== command.meshVersion)
      throw stale('the Mesh', mesh.meta.version, command.meshVersion);
    if (dataplane.meta.version !== command.dataplaneVersion)
      throw stale('the Dataplane', dataplane.meta.version, command.dataplaneVersion);
    const meshSpec = mesh.spec as MeshSpec;
    const enabled = enabledBackendOf(meshSpec);
    if (!enabled) throw new MtlsDisabledError(command.mesh);
    const backend = await this.signingBackend(command, meshSpec, enabled);
    if (!backend) {
      throw new StaleIssueRequestError(
        `the request names backend "${command.backend}", mesh ${command.mesh} at revision ${mesh.meta.version} enables "${enabled.name}"`,
      );
    }
    const profile = dataplaneCertificateProfile(command.mesh, backend, dataplane.spec as DataplaneSpec);

    const publicKey = verifyCsr(command.csrPem);
    const signing = await this.registry.signingCa(command.mesh, backend);
    const issued = await signing.issueAsync({
      publicKey,
      uris: profile.uris,
      validityMs: profile.validityMs,
      now: this.clock.now(),
    });
    return {
      certificate: {
        certPem: issued.certPem,
        chainPem: issued.chainPem,
        serial: issued.serial,
        notBefore: issued.notBefore.toISOString(),
        notAfter: issued.notAfter.toISOString(),
        backend: backend.name,
        uris: [...profile.uris],
      },
      trustBundle: await this.trust.forSpec(command.mesh, meshSpec),
    };
  }

  /**
   * The backend a request may be signed by: the enabled one, or, while a CA switch to it has not moved
   * issuance yet (or is still reissuing, for a replica a moment behind), the backend the switch comes from.
   * Any other is refused as stale: the requester acted on other revisions than this store holds.
   */
  private async signingBackend(
    command: IssueCertificateCommand,
    mesh: MeshSpec,
    enabled: MtlsBackend,
  ): Promise<MtlsBackend | undefined> {
    if (command.backend === enabled.name) return enabled;
    const record = await this.store.get({
      type: ResourceType.CaSwitch,
      mesh: command.mesh,
      name: command.mesh,
    });
    const sw = activeCaSwitch(mesh, record?.spec as CaSwitchSpec | undefined);
    if (sw?.from !== command.backend || (sw.state !== 'waiting-for-bundle' && sw.state !== 'reissuing'))
      return undefined;
    return mesh.mtls?.backends?.find((b) => b.name === sw.from);
  }
}
