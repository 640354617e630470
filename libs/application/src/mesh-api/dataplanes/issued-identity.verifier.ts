import { X509Certificate, type KeyObject } from 'node:crypto';
import {
  MtlsBackendType,
  ResourceType,
  builtinCaCertSecretName,
  dataplaneIdentity,
  dpCertValidityMs,
  enabledBackendOf,
  identityUris,
  secretBytes,
  type DataSource,
  type DataplaneSpec,
  type MeshSpec,
  type MtlsBackend,
  type ResourceRecord,
  type SecretSpec,
} from '@meshtls/domain';
import { BACKDATE_MS, checkAnswered, csrPublicKeyDer, pemBlocks, readCertificateFields } from '@meshtls/pki';
import type { ResourceStore } from '@meshtls/store';
import { MeshError, type Clock } from '@meshtls/util';
import { DataSourceReader } from '../../shared/data-source.reader';
import type { IssueCertificateResult } from '../../ports/issue-certificate.contract';
import type { SignCommand } from './identity-issuer';
import { DataplaneNotFoundError, MeshNotFoundError, MtlsDisabledError } from '../../ports/ca.errors';
import { recordOrWait } from '../../shared/record-awaiter';
import { MeshMaterialCache } from '../../shared/mesh-material.cache';

/** The records an issuance acts on, as this replica's store holds them, and the backend that signs. */
export interface IssuanceFacts {
  readonly mesh: ResourceRecord;
  readonly dataplane: ResourceRecord;
  readonly backend: MtlsBackend;
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

/** A backend's CA certificates as this process's store has them. */
interface BackendCa {
  /** The CA that signs dataplane certificates (the first certificate of the chain). */
  readonly issuing: X509Certificate;
  /** Its public key, made once (X509Certificate.publicKey makes a new KeyObject at every read). */
  readonly publicKey: KeyObject;
  /** Its subject, exactly as encoded: the issuer name of what it signs. */
  readonly subjectNameDer: Buffer;
  /** Between the leaf and the anchor, leaf-most first (empty for a root CA). */
  readonly chainPem: string;
  readonly anchorPem: string;
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
  /**
   * Each backend's CA chain, read and parsed once and kept until its mesh's Mesh or Secrets change
   * (followChanges): a check costs a signature verification, not a store read, a decryption and a parse.
   */
  private readonly cas = new MeshMaterialCache<BackendCa>();

  constructor(
    private readonly store: ResourceStore,
    private readonly clock: Clock,
    private readonly sources = new DataSourceReader(store),
  ) {}

  /**
   * The Mesh and Dataplane an issuance acts on and the backend that signs, as this replica's store holds
   * them: what the request to ca-signer names, and what its answer is checked against.
   */
  async facts(mesh: string, dataplane: string): Promise<IssuanceFacts> {
    const meshRecord = await this.store.get({ type: ResourceType.Mesh, name: mesh });
    if (!meshRecord) throw new MeshNotFoundError(mesh);
    const dataplaneRecord = await this.store.get({ type: ResourceType.Dataplane, mesh, name: dataplane });
    if (!dataplaneRecord) throw new DataplaneNotFoundError(mesh, dataplane);
    const backend = enabledBackendOf(meshRecord.spec as MeshSpec);
    if (!backend) throw new MtlsDisabledError(mesh);
    return { mesh: meshRecord, dataplane: dataplaneRecord, backend };
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
    const backends = (facts.mesh.spec as MeshSpec).mtls?.backends ?? [];
    const claimed = answer.certificate;
    const backend = facts.backend;
    if (claimed.backend !== backend.name) {
      return reject(
        `it comes from backend "${claimed.backend}", not the enabled "${backend.name}" asked for`,
      );
    }
    const ca = await this.backendCa(command.mesh, backend);
    if (!ca) return reject(`the CA of backend "${backend.name}" cannot be read here`);

    const expectedUris = identityUris(dataplaneIdentity(command.mesh, facts.dataplane.spec as DataplaneSpec));
    let cert: ReturnType<typeof checkAnswered>;
    try {
      // Read from the DER by the project's reader, signature checked natively with the CA's key: an
      // X509Certificate parse would cost more than the rest of the check together.
      cert = checkAnswered({
        certPem: claimed.certPem,
        caPublicKey: ca.publicKey,
        caNameDer: ca.subjectNameDer,
        expectedUris,
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
    const validity = dpCertValidityMs(backend) + BACKDATE_MS.leaf;
    if (Math.abs(notAfter - notBefore - validity) > SECOND_MS) {
      reject(`it is valid for ${notAfter - notBefore} ms, not the backend's ${validity} ms`);
    }
    if (
      BigInt(`0x${cert.serialHex}`) !== BigInt(`0x${claimed.serial}`) ||
      Math.abs(Date.parse(claimed.notBefore) - notBefore) >= SECOND_MS ||
      Math.abs(Date.parse(claimed.notAfter) - notAfter) >= SECOND_MS ||
      claimed.uris.join(' ') !== expectedUris.join(' ') ||
      claimed.chainPem !== ca.chainPem
    ) {
      reject('the serial, times, URIs or chain stated beside it are not the certificate’s');
    }
    return { certificate: claimed, trustBundle: await this.trustBundle(command.mesh, backends) };
  }

  /** Every backend's anchor as this store has it, in the Mesh's order; one that cannot be read is left out. */
  async trustBundle(
    mesh: string,
    backends: readonly MtlsBackend[],
  ): Promise<IssueCertificateResult['trustBundle']> {
    const anchors = await Promise.all(
      backends.map(async (b) => {
        const ca = await this.backendCa(mesh, b);
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
    return this.cas.followChanges(this.store);
  }

  private backendCa(mesh: string, backend: MtlsBackend): Promise<BackendCa | undefined> {
    // A provided backend's certificate source is part of the name: a Mesh naming another source is read
    // afresh even before its change reaches followChanges.
    const name =
      backend.type === MtlsBackendType.Builtin
        ? backend.name
        : `${backend.name}\0${sourceName(backend.conf.cert)}`;
    return this.cas
      .get(mesh, name, async () => {
        const pem = await this.caChainPem(mesh, backend);
        const ca = pem === undefined ? undefined : parseChain(pem);
        // Thrown, so a CA not (yet) readable is not kept: it is read again at the next check.
        if (!ca) throw new Error('unreadable');
        return ca;
      })
      .catch(() => undefined);
  }

  private async caChainPem(mesh: string, backend: MtlsBackend): Promise<string | undefined> {
    if (backend.type === MtlsBackendType.Builtin) {
      const secret = await this.store.get({
        type: ResourceType.Secret,
        mesh,
        name: builtinCaCertSecretName(mesh, backend.name),
      });
      return secret ? secretBytes(secret.spec as SecretSpec).toString('utf8') : undefined;
    }
    const bytes = await this.sources.read(mesh, backend.conf.cert, 'cert');
    return bytes.toString('utf8');
  }
}

/** A data source as one string: its form and its value (a Secret's name, a path, the inline text). */
function sourceName(source: DataSource): string {
  if ('secret' in source) return `secret\0${source.secret}`;
  if ('file' in source) return `file\0${source.file}`;
  return 'inline' in source ? `inline\0${source.inline}` : `inlineString\0${source.inlineString}`;
}

/** The signing CA first, up to the root: what a leaf chains through, and its anchor. */
function parseChain(pem: string): BackendCa | undefined {
  const blocks = pemBlocks(pem).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) return undefined;
  try {
    const certs = blocks.map((b) => new X509Certificate(b.pem));
    const last = certs.length - 1;
    const selfSigned = certs[last]!.checkIssued(certs[last]!);
    return {
      issuing: certs[0]!,
      publicKey: certs[0]!.publicKey,
      subjectNameDer: readCertificateFields(certs[0]!.raw).subjectNameDer,
      chainPem: certs
        .slice(0, selfSigned ? last : last + 1)
        .map((c) => c.toString())
        .join(''),
      anchorPem: certs[last]!.toString(),
    };
  } catch {
    return undefined;
  }
}
