import { MeshError } from '@meshtls/util';
import type { Violation } from '../errors';

/**
 * A dataplane has no `kuma.io/service` tag on any inbound, so it has no SPIFFE identity and cannot get a
 * certificate. Carries a violation like a ValidationError, so an edge can render it the same way.
 */
export class MissingServiceTagError extends MeshError {
  readonly code = 'identity.no-service';
  readonly violations: readonly Violation[];

  constructor(readonly mesh: string) {
    super(
      `the dataplane has no inbound tagged 'kuma.io/service', so it has no identity in mesh "${mesh}": ` +
        `tag at least one inbound with the service it serves`,
    );
    this.violations = [{ field: 'networking.inbound', message: this.message }];
  }
}
