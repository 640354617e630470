import type { DataplaneServerMessage, StreamEndReason } from '@meshtls/contracts';
import { MeshError } from '@meshtls/util';

/** Why a stream is refused or ended; the transport maps each to its own status (gRPC codes). */
export const StreamStatus = {
  Unauthenticated: 'unauthenticated',
  PermissionDenied: 'permission-denied',
  NotFound: 'not-found',
  InvalidArgument: 'invalid-argument',
  FailedPrecondition: 'failed-precondition',
  /** The dataplane may not be issued a certificate now (its issuance rate); it connects again later. */
  ResourceExhausted: 'resource-exhausted',
  /** A newer stream of the same dataplane took over. */
  Aborted: 'aborted',
  Unavailable: 'unavailable',
} as const;
export type StreamStatus = (typeof StreamStatus)[keyof typeof StreamStatus];

/** One dataplane's stream as the hub sees it, whatever carries it. */
export interface DataplaneChannel {
  send(message: DataplaneServerMessage): void;
  /**
   * Ends the stream with a status and a message saying why; `reason` names the ends the dataplane must
   * act on in a particular way (sent as the `STREAM_END_TRAILER` trailer).
   */
  close(status: StreamStatus, message: string, reason?: StreamEndReason): void;
}

/** A connection refused with a status and a reason that is safe to show (no token, no key). */
export class StreamRefusedError extends MeshError {
  readonly code = 'dataplane.refused';

  constructor(
    readonly status: StreamStatus,
    message: string,
    readonly reason?: StreamEndReason,
  ) {
    super(message);
  }
}
