import {
  ResourceType,
  dataplaneCertificateProfile,
  issuingBackendOf,
  retainedAnchorsOf,
  type CaSwitchSpec,
  type DataplaneSpec,
  type MeshSpec,
  type MtlsBackend,
  type ResourceRecord,
} from '@meshtls/domain';
import { BACKDATE_MS, checkAnswered, csrPublicKeyDer } from '@meshtls/pki';
import type { ResourceStore } from '@meshtls/store';
import { MeshError, type Clock } from '@meshtls/util';
import { DataSourceReader } from '../../shared/data-source.reader';
import type { IssueCertificateResult } from '../../ports/issue-certificate.contract';
import type { SignCommand } from './identity-issuer';
import { DataplaneNotFoundError, MeshNotFoundError, MtlsDisabledError } from '../../ports/ca.errors';
import { recordOrWait } from '../../shared/record-awaiter';
import { BackendCaReader } from './backend-ca.reader';

/** The records an issuance acts on, as this replica's store holds them, and the backend that signs. */
export interface IssuanceFacts {
  readonly mesh: ResourceRecord;
  readonly dataplane: ResourceRecord;
  readonly backend: MtlsBackend;
  /** The mesh's CA switch record, if there is one: it decides the issuing backend and what stays trusted. */
  readonly caSwitch?: CaSwitchSpec;
}

/** An answer from the bus that does not hold what was asked for: never forwarded to a dataplane. */
export class IssuedIdentityRejectedError extends MeshError {
  readonly code = 'dataplane.issued-identity-rejected';

  constructor(
    readonly mesh: string,
    readonly dataplane: string,
    reason: string,
  ) {
    super(`certificate for ${mesh}/${dataplane} rejected: ${reason}`);
  }
}

/** X.509 times have whole seconds; notBefore is backdated by BACKDATE_MS. */
const SECOND_MS = 1000;

/**
 * Checks a certificate ca-signer answered before mesh-api forwards it (an answer on the bus is an
 * input like any other): it chains to the backend's CA as mesh-api's own store has it, its key is the
 * CSR's, its SAN URIs are exactly what the stored Dataplane's tags give, its validity is the backend's
 * policy, and the facts the answer states beside it (serial, times, URIs, chain) are the certificate's
 * own. The trust bundle forwarded is the one mesh-api reads from its store, not the answer's.
 */
export class IssuedIdentityVerifier {
  private readonly cas: BackendCaReader;

  constructor(
    private readonly store: ResourceStore,
    private readonly clock: Clock,
    sources = new DataSourceReader(store),
  ) {
    this.cas = new BackendCaReader(store, sources);
  }

  /**
   * The Mesh and Dataplane an issuance acts on and the backend that signs, as this replica's store holds
   * them: what the request to ca-signer names, and what its answer is checked against.
   */
  async facts(mesh: string, dataplane: string): Promise<IssuanceFacts> {
    const meshRecord = await this.store.get({ type: ResourceType.Mesh, name: mesh });
    if (!meshRecord) throw new MeshNotFoundError(mesh);
    const dataplaneRecord = await this.store.get({ type: ResourceType.Dataplane, mesh, name: dataplane });
    if (!dataplaneRecord) throw new DataplaneNotFoundError(mesh, dataplane);
    const switchRecord = await this.store.get({ type: ResourceType.CaSwitch, mesh, name: mesh });
    const caSwitch = switchRecord?.spec as CaSwitchSpec | undefined;
    const spec = meshRecord.spec as MeshSpec;
    // The backend issuing now: the one a pending switch comes from, until the fleet trusts the new one.
    const issuing = issuingBackendOf(spec, caSwitch);
    const backend = spec.mtls?.backends?.find((b) => b.name === issuing);
    if (!backend) throw new MtlsDisabledError(mesh);
    return { mesh: meshRecord, dataplane: dataplaneRecord, backend, ...(caSwitch ? { caSwitch } : {}) };
  }

  /**
   * Resolves once this store holds a newer Mesh or Dataplane than `facts` (or after `timeoutMs`): what
   * to wait for after ca-signer said the request was stale, being ahead of this replica.
   */
  async newerThan(facts: IssuanceFacts, timeoutMs: number): Promise<void> {
    await Promise.race([
      recordOrWait(this.store, facts.mesh.meta, timeoutMs, facts.mesh.meta.version + 1),
      recordOrWait(this.store, facts.dataplane.meta, timeoutMs, facts.dataplane.meta.version + 1),
    ]);
  }

  async verify(
    command: SignCommand,
    facts: IssuanceFacts,
    answer: IssueCertificateResult,
  ): Promise<IssueCertificateResult> {
    const reject = (reason: string): never => {
      throw new IssuedIdentityRejectedError(command.mesh, command.dataplane, reason);
    };
    const claimed = answer.certificate;
    const backend = facts.backend;
    if (claimed.backend !== backend.name) {
      return reject(
        `it comes from backend "${claimed.backend}", not the enabled "${backend.name}" asked for`,
      );
    }
    const ca = await this.cas.read(command.mesh, backend);
    if (!ca) return reject(`the CA of backend "${backend.name}" cannot be read here`);

    const owed = dataplaneCertificateProfile(command.mesh, backend, facts.dataplane.spec as DataplaneSpec);
    let cert: ReturnType<typeof checkAnswered>;
    try {
      // Read from the DER by the project's reader, signature checked natively with the CA's key: an
      // X509Certificate parse would cost more than the rest of the check together.
      cert = checkAnswered({
        certPem: claimed.certPem,
        caPublicKey: ca.publicKey,
        caNameDer: ca.subjectNameDer,
        expectedUris: owed.uris,
        now: this.clock.now(),
      });
    } catch (error) {
      return reject((error as Error).message);
    }
    if (!cert.spkiDer.equals(csrPublicKeyDer(command.csrPem))) {
      reject('its public key is not the CSR’s');
    }
    const notBefore = cert.notBefore.getTime();
    const notAfter = cert.notAfter.getTime();
    const validity = owed.validityMs + BACKDATE_MS.leaf;
    if (Math.abs(notAfter - notBefore - validity) > SECOND_MS) {
      reject(`it is valid for ${notAfter - notBefore} ms, not the backend's ${validity} ms`);
    }
    if (
      BigInt(`0x${cert.serialHex}`) !== BigInt(`0x${claimed.serial}`) ||
      Math.abs(Date.parse(claimed.notBefore) - notBefore) >= SECOND_MS ||
      Math.abs(Date.parse(claimed.notAfter) - notAfter) >= SECOND_MS ||
      claimed.uris.join(' ') !== owed.uris.join(' ') ||
      claimed.chainPem !== ca.chainPem
    ) {
      reject('the serial, times, URIs or chain stated beside it are not the certificate’s');
    }
    return {
      certificate: claimed,
      trustBundle: await this.trustBundle(command.mesh, facts.mesh.spec as MeshSpec, facts.caSwitch),
    };
  }

  /**
   * Every backend's anchor as this store has it, in the Mesh's order (one that cannot be read is left
   * out), then the anchors a CA switch keeps for backends already removed.
   */
  async trustBundle(
    mesh: string,
    spec: MeshSpec,
    caSwitch?: CaSwitchSpec,
  ): Promise<IssueCertificateResult['trustBundle']> {
    const anchors = await this.anchors(mesh, spec.mtls?.backends ?? []);
    return [...anchors, ...retainedAnchorsOf(spec, caSwitch)];
  }

  /** The CA certificate of each of `backends` as this store has it; one that cannot be read is left out. */
  private async anchors(
    mesh: string,
    backends: readonly MtlsBackend[],
  ): Promise<IssueCertificateResult['trustBundle']> {
    const anchors = await Promise.all(
      backends.map(async (b) => {
        const ca = await this.cas.read(mesh, b);
        return ca ? { backend: b.name, certPem: ca.anchorPem } : undefined;
      }),
    );
    return anchors.filter((a): a is NonNullable<typeof a> => a !== undefined);
  }

  /**
   * Keeps the CA chains current: whenever a Mesh or one of its Secrets changes (by any replica), that
   * mesh's chains are read again at their next use. Returns the function that stops following.
   */
  followChanges(): () => void {
    return this.cas.followChanges();
  }
}
