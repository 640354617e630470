import { ValidationError, type MtlsBackend, type ProvidedMtlsBackend, type Violation } from '@meshtls/domain';
import { CaValidationError, SigningCa, validateProvidedCa } from '@meshtls/pki';
import type { Clock } from '@meshtls/util';
import type { CaManager } from './ca-manager';
import type { BackendReport } from '../ports/mtls-validation.contract';
import type { DataSourceReader, ReadContext } from '../shared/data-source.reader';

/** Who asked, and whether the Mesh's `mtls.skipValidation` (Kuma's switch) is set. */
export interface ProvidedValidateContext extends ReadContext {
  readonly skipValidation?: boolean;
}

/** provided backends: the user's CA chain and key, read from their data sources and validated. */
export class ProvidedCaManager implements CaManager {
  constructor(
    private readonly sources: DataSourceReader,
    private readonly clock: Clock,
  ) {}

  async validate(
    mesh: string,
    backend: MtlsBackend,
    index: number,
    context: ProvidedValidateContext = {},
  ): Promise<BackendReport> {
    const prefix = `mtls.backends[${index}].conf`;
    let material: { certPem: string; keyPem: string };
    try {
      material = await this.read(mesh, backend as ProvidedMtlsBackend, prefix, context);
    } catch (error) {
      if (error instanceof ValidationError)
        return { violations: asKumaLoadError(error, prefix), warnings: [] };
      throw error;
    }
    if ((backend as ProvidedMtlsBackend).conf.skipValidation || context.skipValidation) {
      return { violations: [], warnings: [] };
    }
    return validateProvidedCa({ ...material, now: this.clock.now(), fieldPrefix: prefix });
  }

  async ensure(): Promise<'existing'> {
    return 'existing'; // nothing to create: the user brings the CA
  }

  /**
   * Errors of a load reach dataplanes' requests, so they never say why a file could not be read; worded
   * as Kuma's: `failed to load CA key pair for Mesh "m" and backend "b": <reason>`.
   */
  async load(mesh: string, backend: MtlsBackend): Promise<SigningCa> {
    const prefix = `mtls.backends[${backend.name}].conf`;
    try {
      const material = await this.read(mesh, backend as ProvidedMtlsBackend, prefix);
      return SigningCa.load({ certChainPem: material.certPem, keyPem: material.keyPem });
    } catch (error) {
      const violations =
        error instanceof ValidationError
          ? asKumaLoadError(error, prefix)
          : error instanceof CaValidationError
            ? error.violations
            : undefined;
      if (violations === undefined) throw error;
      const reason = violations[0]?.message ?? (error as Error).message;
      throw new ValidationError(
        violations,
        `failed to load CA key pair for Mesh ${JSON.stringify(mesh)} and backend ${JSON.stringify(backend.name)}: ${reason}`,
      );
    }
  }

  private async read(mesh: string, backend: ProvidedMtlsBackend, prefix: string, context: ReadContext = {}) {
    const [cert, key] = await Promise.allSettled([
      this.sources.read(mesh, backend.conf.cert, `${prefix}.cert`, context),
      this.sources.read(mesh, backend.conf.key, `${prefix}.key`, context),
    ]);
    const violations = [cert, key].flatMap((r) =>
      r.status === 'rejected' && r.reason instanceof ValidationError ? r.reason.violations : [],
    );
    if (violations.length > 0) throw new ValidationError(violations);
    for (const r of [cert, key]) if (r.status === 'rejected') throw r.reason;
    return {
      certPem: (cert as PromiseFulfilledResult<Buffer>).value.toString('utf8'),
      keyPem: (key as PromiseFulfilledResult<Buffer>).value.toString('utf8'),
    };
  }
}

/**
 * Kuma reports a data source that could not be loaded on `conf.cert` or `conf.key` itself, not on the
 * source inside it (`conf.cert.secret`); each source that failed keeps its own message.
 */
function asKumaLoadError(error: ValidationError, prefix: string): Violation[] {
  return error.violations.map((violation) => {
    const source = /^(.*\.(?:cert|key))\.(?:secret|file|inline|inlineString)$/.exec(violation.field);
    return source !== null && source[1]!.startsWith(prefix) ? { ...violation, field: source[1]! } : violation;
  });
}
