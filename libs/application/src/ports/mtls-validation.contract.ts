import type { Violation } from '@meshtls/domain';

/** What ca-signer answers when mesh-api asks it to validate a Mesh's `mtls` (and what each CaManager reports). */
export interface BackendReport {
  readonly violations: readonly Violation[];
  readonly warnings: readonly string[];
}
