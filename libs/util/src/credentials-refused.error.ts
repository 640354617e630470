import { MeshError } from './mesh-error';

/**
 * NATS or Redis did not accept this process's credentials. Retrying does not help, so the connection
 * gives up with this instead of retrying; the message names the server's reason, never the credentials.
 */
export class CredentialsRefusedError extends MeshError {
  readonly code = 'store.credentials-refused';

  constructor(
    /** Which server refused them. */
    readonly server: 'nats' | 'redis',
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${server === 'nats' ? 'NATS' : 'Redis'} refused this process's credentials: ${reason}`, options);
  }
}
