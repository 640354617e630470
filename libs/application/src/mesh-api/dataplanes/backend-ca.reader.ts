import { X509Certificate, type KeyObject } from 'node:crypto';
import {
  MtlsBackendType,
  ResourceType,
  builtinCaCertSecretName,
  secretBytes,
  type DataSource,
  type MtlsBackend,
  type SecretSpec,
} from '@meshtls/domain';
import { pemBlocks, readCertificateFields } from '@meshtls/pki';
import type { ResourceStore } from '@meshtls/store';
import { DataSourceReader } from '../../shared/data-source.reader';
import { MeshMaterialCache } from '../../shared/mesh-material.cache';

/** A backend's CA certificates as this process's store has them. */
export interface BackendCa {
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

/**
 * mesh-api's reading of a backend's CA certificates (never its key): the builtin CA's certificate Secret,
 * or a provided backend's `cert` data source. Each chain is read and parsed once and kept until its
 * mesh's Mesh or Secrets change (followChanges), so checking an answer costs a signature verification,
 * not a store read, a decryption and a parse.
 */
export class BackendCaReader {
  private readonly cas = new MeshMaterialCache<BackendCa>();

  constructor(
    private readonly store: ResourceStore,
    private readonly sources = new DataSourceReader(store),
  ) {}

  /** The backend's CA as this store has it; undefined when it cannot be read (it is tried again next time). */
  read(mesh: string, backend: MtlsBackend): Promise<BackendCa | undefined> {
    // A provided backend's certificate source is part of the name: a Mesh naming another source is read
    // afresh even before its change reaches followChanges.
    const name =
      backend.type === MtlsBackendType.Builtin
        ? backend.name
        : `${backend.name}\0${sourceName(backend.conf.cert)}`;
    return this.cas
      .get(mesh, name, async () => {
        const pem = await this.chainPem(mesh, backend);
        const ca = pem === undefined ? undefined : parseChain(pem);
        // Thrown, so a CA not (yet) readable is not kept.
        if (!ca) throw new Error('unreadable');
        return ca;
      })
      .catch(() => undefined);
  }

  /**
   * Whenever a Mesh or one of its Secrets changes (by any replica), that mesh's chains are read again at
   * their next use. Returns the function that stops following.
   */
  followChanges(): () => void {
    return this.cas.followChanges(this.store);
  }

  private async chainPem(mesh: string, backend: MtlsBackend): Promise<string | undefined> {
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

/**
 * The anchors (CA certificates) of the given backends, read afresh from `store`: for what is read once,
 * such as the CAs a Mesh update removes. One that cannot be read is left out.
 */
export function readCaAnchors(
  store: ResourceStore,
): (mesh: string, backends: readonly MtlsBackend[]) => Promise<{ backend: string; certPem: string }[]> {
  return async (mesh, backends) => {
    const reader = new BackendCaReader(store);
    const anchors = await Promise.all(
      backends.map(async (b) => {
        const ca = await reader.read(mesh, b);
        return ca ? { backend: b.name, certPem: ca.anchorPem } : undefined;
      }),
    );
    return anchors.filter((a): a is NonNullable<typeof a> => a !== undefined);
  };
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
