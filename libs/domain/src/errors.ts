import { MeshError } from '@meshtls/util';
import type { ResourceKey } from './resource';
import { formatKey } from './resource';

/** One field-level problem, worded as Kuma words it: `field` is a path such as `mtls.backends[1].name`. */
export interface Violation {
  readonly field: string;
  readonly message: string;
}

/** A resource (or a request) is not valid; carries every violation found, not only the first. */
export class ValidationError extends MeshError {
  readonly code = 'resource.invalid';

  constructor(
    readonly violations: readonly Violation[],
    message = 'Resource is not valid',
  ) {
    super(message);
  }
}

export class ResourceNotFoundError extends MeshError {
  readonly code = 'resource.not-found';

  constructor(readonly key: ResourceKey) {
    super(`${formatKey(key)} not found`);
  }
}

/** Kuma's words for a key in a store error: `type="Mesh" name="default" mesh=""`. */
function kumaKey(key: ResourceKey): string {
  return `type=${JSON.stringify(key.type)} name=${JSON.stringify(key.name)} mesh=${JSON.stringify(key.mesh ?? '')}`;
}

export class ResourceAlreadyExistsError extends MeshError {
  readonly code = 'resource.already-exists';

  constructor(readonly key: ResourceKey) {
    super(`resource already exists: ${kumaKey(key)}`);
  }
}

/** A write named a version that is no longer current: someone else wrote in between (Kuma's wording). */
export class ResourceConflictError extends MeshError {
  readonly code = 'resource.conflict';

  constructor(readonly key: ResourceKey) {
    super(`resource conflict: ${kumaKey(key)}`);
  }
}

/** A request Kuma answers with a plain 400 "Bad Request" (no field list): a malformed kri, a bad workload label. */
export class BadRequestError extends MeshError {
  readonly code = 'request.bad';
}
