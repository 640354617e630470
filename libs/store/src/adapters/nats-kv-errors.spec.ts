import { ErrorCode, NatsError } from 'nats';
import { classifyKvError, isTransientKvError, mayHaveBeenApplied, type KvFailure } from './nats-kv-errors';

/** A failure of the request itself, as nats.js raises it. */
const requestError = (code: string) => NatsError.errorForCode(code);

/**
 * An answer from JetStream, as nats.js 2.x raises it: the HTTP-like status as `code` (the KV layer
 * rewrites it so), the server's error in `api_error`.
 */
const jetStreamError = (code: number, errCode: number, description: string) =>
  Object.assign(new NatsError(description, `${code}`), {
    api_error: { code, err_code: errCode, description },
  });

describe('classifyKvError', () => {
  it.each<[string, unknown, KvFailure]>([
    ['no responders (no stream leader)', requestError(ErrorCode.NoResponders), 'refused'],
    ['request timeout', requestError(ErrorCode.Timeout), 'unanswered'],
    ['disconnect', requestError(ErrorCode.Disconnect), 'unanswered'],
    ['JetStream 408', requestError(ErrorCode.JetStream408RequestTimeout), 'unanswered'],
    [
      'JetStream system temporarily unavailable',
      jetStreamError(503, 10008, 'JetStream system temporarily unavailable'),
      'refused',
    ],
    [
      'JetStream cluster can not handle request',
      jetStreamError(500, 10009, 'JetStream cluster can not handle request'),
      'refused',
    ],
    [
      'JetStream not enabled (a server starting)',
      jetStreamError(503, 10039, 'jetstream not enabled'),
      'refused',
    ],
    ['wrong last sequence', jetStreamError(400, 10071, 'wrong last sequence: 7'), 'conflict'],
    ['message too large', jetStreamError(400, 10054, 'message size exceeds maximum allowed'), 'final'],
    ['stream not found', jetStreamError(404, 10059, 'stream not found'), 'final'],
    ['connection closed', requestError(ErrorCode.ConnectionClosed), 'final'],
    ['connection draining', requestError(ErrorCode.ConnectionDraining), 'final'],
    ['a plain error', new Error('boom'), 'final'],
    ['a string', 'TIMEOUT', 'final'],
    ['undefined', undefined, 'final'],
    ['null', null, 'final'],
  ])('%s → %s', (_, err, kind) => {
    expect(classifyKvError(err)).toBe(kind);
  });

  it('reads a JetStream answer by its error code, not by the status the KV layer copies into `code`', () => {
    // A JetStream 503 answer has code "503" like a no-responders; only its api_error tells them apart.
    const answer = jetStreamError(503, 10023, 'insufficient resources');
    expect(answer.code).toBe(ErrorCode.NoResponders);
    expect(classifyKvError(answer)).toBe('refused');
    expect(mayHaveBeenApplied(answer)).toBe(false);
    // And a conflict is a conflict whatever its code says.
    expect(
      classifyKvError(Object.assign(jetStreamError(400, 10071, 'wrong last sequence: 1'), { code: '503' })),
    ).toBe('conflict');
  });
});

describe('isTransientKvError and mayHaveBeenApplied', () => {
  it.each<[string, unknown, boolean, boolean]>([
    ['no responders', requestError(ErrorCode.NoResponders), true, false],
    [
      'temporarily unavailable',
      jetStreamError(503, 10008, 'JetStream system temporarily unavailable'),
      true,
      false,
    ],
    ['request timeout', requestError(ErrorCode.Timeout), true, true],
    ['disconnect', requestError(ErrorCode.Disconnect), true, true],
    ['wrong last sequence', jetStreamError(400, 10071, 'wrong last sequence: 7'), false, false],
    ['connection closed', requestError(ErrorCode.ConnectionClosed), false, false],
  ])('%s: transient %s, may have been applied %s', (_, err, transient, applied) => {
    expect(isTransientKvError(err)).toBe(transient);
    expect(mayHaveBeenApplied(err)).toBe(applied);
  });
});
