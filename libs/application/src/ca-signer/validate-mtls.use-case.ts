import type { ApiCaller } from '@meshtls/contracts';
import { ValidationError } from '@meshtls/domain';
import type { BackendReport } from '../ports/mtls-validation.contract';
import type { CaRegistry } from './ca-registry';
import { parseMtls } from './mesh-mtls';

/** ca-signer: checks every backend of a Mesh's `mtls` before the Mesh is stored (provided CAs in full). */
export class ValidateMtlsUseCase {
  constructor(private readonly registry: CaRegistry) {}

  /** `caller`: who asked mesh-api; only an admin is told why a file data source could not be read. */
  async execute(request: { mesh: string; mtls: unknown; caller?: ApiCaller }): Promise<BackendReport> {
    let backends;
    let skipValidation;
    try {
      const mtls = parseMtls(request.mesh, request.mtls);
      backends = mtls.backends ?? [];
      skipValidation = mtls.skipValidation;
    } catch (error) {
      if (error instanceof ValidationError) return { violations: error.violations, warnings: [] };
      throw error;
    }
    const context = { admin: request.caller === 'admin', skipValidation };
    const reports = await Promise.all(
      backends.map((backend, index) =>
        this.registry.managerFor(backend).validate(request.mesh, backend, index, context),
      ),
    );
    return {
      violations: reports.flatMap((r) => r.violations),
      warnings: reports.flatMap((r) => r.warnings),
    };
  }
}
