import type { DataplaneServerMessage } from '@meshtls/contracts';
import { MeshError } from '@meshtls/util';

/** Why a stream is refused or ended; the transport maps each to its own status (gRPC codes). */
export const StreamStatus = {
  Unauthenticated: 'unauthenticated',
  PermissionDenied: 'permission-denied',
  NotFound: 'not-found',
  InvalidArgument: 'invalid-argument',
  FailedPrecondition: 'failed-precondition',
  Unavailable: 'unavailable',
} as const;
export type StreamStatus = (typeof StreamStatus)[keyof typeof StreamStatus];

/** One dataplane's stream as the hub sees it, whatever carries it. */
export interface DataplaneChannel {
  send(message: DataplaneServerMessage): void;
  /** Ends the stream with a status and a reason the dataplane can act on. */
  close(status: StreamStatus, message: string): void;
}

/** A connection refused with a status and a reason that is safe to show (no token, no key). */
export class StreamRefusedError extends MeshError {
  readonly code = 'dataplane.refused';

  constructor(
    readonly status: StreamStatus,
    message: string,
  ) {
    super(message);
  }
}
