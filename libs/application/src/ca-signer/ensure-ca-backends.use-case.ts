import type { CaRegistry } from './ca-registry';
import { parseMtls } from './mesh-mtls';

/** ca-signer: every backend of the Mesh gets its CA (builtin ones are generated once, race-safe). */
export class EnsureCaBackendsUseCase {
  constructor(private readonly registry: CaRegistry) {}

  async execute(request: {
    mesh: string;
    mtls: unknown;
  }): Promise<{ created: string[]; existing: string[] }> {
    const backends = parseMtls(request.mesh, request.mtls).backends ?? [];
    const outcomes = await Promise.all(
      backends.map(async (b) => ({
        name: b.name,
        outcome: await this.registry.managerFor(b).ensure(request.mesh, b),
      })),
    );
    return {
      created: outcomes.filter((o) => o.outcome === 'created').map((o) => o.name),
      existing: outcomes.filter((o) => o.outcome === 'existing').map((o) => o.name),
    };
  }
}
