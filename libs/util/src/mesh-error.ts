/**
 * Base of every coded error in the project. Libraries throw these; only the edges (REST, RPC replies,
 * the CLI) map a `code` to a status. Messages are lower case and say what a user can act on.
 */
export abstract class MeshError extends Error {
  /** Stable, dotted identifier of the failure mode, e.g. `resource.conflict`. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An error that came back over the bus from another process, with its original code kept. */
export class RemoteError extends MeshError {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** A request got no answer within its deadline (no responder, or the responder was too slow). */
export class TimeoutError extends MeshError {
  readonly code = 'bus.timeout';
}

/** A message failed its schema check on send or receipt. */
export class InvalidMessageError extends MeshError {
  readonly code = 'bus.invalid-message';
}

/** Configuration that cannot be used; the message names the variable. */
export class ConfigError extends MeshError {
  readonly code = 'config.invalid';
}
