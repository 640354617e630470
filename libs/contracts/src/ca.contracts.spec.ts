import { RETRY_AFTER_MAX_MS, issueCertificate } from './ca.contracts';

/** What ca-signer's answer to an issue request may say about a refusal: read from the bus, bounded. */
describe('issueCertificate reply, shed and stale', () => {
  const refusedAt = (reply: unknown) =>
    issueCertificate.reply.safeParse(reply).error?.issues.map((i) => i.path.join('.'));

  it('takes a wait between 1 ms and the longest one, and a reason of up to 1 KiB', () => {
    expect(refusedAt({ status: 'shed', retryAfterMs: 1, reason: 'queue full' })).toBeUndefined();
    expect(
      refusedAt({ status: 'shed', retryAfterMs: RETRY_AFTER_MAX_MS, reason: 'x'.repeat(1024) }),
    ).toBeUndefined();
    expect(refusedAt({ status: 'stale', reason: 'x'.repeat(1024) })).toBeUndefined();
  });

  it.each([
    ['no wait at all (a busy loop)', { status: 'shed', retryAfterMs: 0, reason: 'r' }, 'retryAfterMs'],
    [
      'a wait past the longest',
      { status: 'shed', retryAfterMs: RETRY_AFTER_MAX_MS + 1, reason: 'r' },
      'retryAfterMs',
    ],
    ['a shed reason over 1 KiB', { status: 'shed', retryAfterMs: 10, reason: 'x'.repeat(1025) }, 'reason'],
    ['a stale reason over 1 KiB', { status: 'stale', reason: 'x'.repeat(1025) }, 'reason'],
  ])('refuses %s', (_case, reply, field) => {
    expect(refusedAt(reply)).toEqual([field]);
  });
});
