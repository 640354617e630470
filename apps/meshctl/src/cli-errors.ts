import { MeshError } from '@meshtls/util';

/** A field-level problem reported by the API (`invalid_parameters` / `causes`). */
export interface ApiCause {
  readonly field: string;
  readonly message: string;
}

/** The control plane answered with an error status; carries what its error body said. */
export class ApiError extends MeshError {
  readonly code = 'cli.api-error';

  constructor(
    readonly status: number,
    message: string,
    readonly causes: readonly ApiCause[] = [],
    readonly title?: string,
  ) {
    super(message);
  }
}

/** No HTTP answer at all: refused, unknown host, timed out. `reason` is worded for the user. */
export class ConnectionError extends MeshError {
  readonly code = 'cli.connection';

  constructor(
    readonly url: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach the control plane at ${url}: ${reason}`, options);
  }
}

/** The user asked for something the CLI cannot do (unknown type, missing flag, bad file). */
export class UsageError extends MeshError {
  readonly code = 'cli.usage';
}

/** One or more documents given to `apply` are not usable; nothing was sent. */
export class DocumentError extends MeshError {
  readonly code = 'cli.invalid-document';

  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} documents are not valid`);
  }
}

/** `apply` stopped at a document the API refused; says what was applied before it and what was not tried. */
export class ApplyError extends MeshError {
  readonly code = 'cli.apply-failed';

  constructor(
    readonly failedOn: string,
    readonly applied: readonly string[],
    readonly notAttempted: number,
    options: { cause: unknown },
  ) {
    super(`applying ${failedOn} failed`, options);
  }
}
