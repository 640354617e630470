import { ErrorCode } from 'nats';

/**
 * What a failed JetStream KV call tells its caller:
 * - `conflict`: JetStream's "wrong last sequence" (10071), the optimistic-concurrency check of a write
 *   failed. Final.
 * - `refused`: JetStream could not take the call right now and said so, or nobody received it (no
 *   responders, "JetStream system temporarily unavailable", "cluster can not handle request", any other
 *   JetStream 503): a stream leader being elected, NATS restarting. Worth asking again; a write refused so
 *   was not applied.
 * - `unanswered`: the call went out and no answer came back (request timeout, the connection dropped under
 *   it). Worth asking again, but a write may have been applied.
 * - `final`: anything else (bad request, closed connection, a bug).
 */
export type KvFailure = 'conflict' | 'refused' | 'unanswered' | 'final';

/** JetStream's "wrong last sequence": the expected last revision of the key is not the current one. */
export const JS_WRONG_LAST_SEQUENCE = 10071;
/** JetStream's "JetStream system temporarily unavailable" (JSClusterNotAvailErr, HTTP-like code 503). */
export const JS_CLUSTER_NOT_AVAILABLE = 10008;
/** JetStream's "JetStream cluster can not handle request" (JSClusterNotLeaderErr, code 500). */
export const JS_CLUSTER_NOT_LEADER = 10009;

const REFUSED_API_ERRORS = new Set([JS_CLUSTER_NOT_AVAILABLE, JS_CLUSTER_NOT_LEADER]);
const UNANSWERED_CODES = new Set<string>([
  ErrorCode.Timeout, // the request's deadline passed: sent, maybe applied, answer lost
  ErrorCode.JetStream408RequestTimeout,
  ErrorCode.Disconnect, // the connection dropped with the request out
]);

interface NatsLikeError {
  readonly code?: unknown;
  readonly api_error?: { readonly code?: unknown; readonly err_code?: unknown };
}

/**
 * Sorts an error thrown by a nats.js (2.x) KV or JetStream call. An answer from JetStream carries
 * `api_error` (its `err_code` decides; `code` is then only the HTTP-like status, and the KV layer rewrites
 * it, so a JetStream "503" is not a "no responders"); a failure of the request itself carries only a
 * `NatsError.code` from `ErrorCode`.
 */
export function classifyKvError(err: unknown): KvFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as NatsLikeError;
  if (e.api_error !== undefined && e.api_error !== null) {
    const errCode = e.api_error.err_code;
    if (errCode === JS_WRONG_LAST_SEQUENCE) return 'conflict';
    if (typeof errCode === 'number' && REFUSED_API_ERRORS.has(errCode)) return 'refused';
    // JetStream's own "service unavailable" class (e.g. JetStream not yet enabled while a server starts).
    return e.api_error.code === 503 ? 'refused' : 'final';
  }
  if (typeof e.code !== 'string') return 'final';
  // NATS answers 503 when no subscriber got the request at all: the stream has no leader to take it.
  if (e.code === ErrorCode.NoResponders) return 'refused';
  if (UNANSWERED_CODES.has(e.code)) return 'unanswered';
  return 'final';
}

/** Whether a failed KV call may succeed if made again shortly (JetStream leaderless or away, an answer lost). */
export function isTransientKvError(err: unknown): boolean {
  const kind = classifyKvError(err);
  return kind === 'refused' || kind === 'unanswered';
}

/** Whether a failed KV write may nonetheless have been applied: it was sent and its answer never came. */
export function mayHaveBeenApplied(err: unknown): boolean {
  return classifyKvError(err) === 'unanswered';
}

/** Whether a KV write failed JetStream's "wrong last sequence" check. */
export function isWrongLastSequence(err: unknown): boolean {
  return classifyKvError(err) === 'conflict';
}
