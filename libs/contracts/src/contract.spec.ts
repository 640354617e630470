import { z } from 'zod';
import { defineEvent, defineRequest, replyEnvelope } from './contract';

describe('defineRequest and defineEvent', () => {
  it('take a subject of the form mesh.<context>.<event>.v<major>', () => {
    const request = defineRequest({ subject: 'mesh.ca.issue.v2', request: z.string(), reply: z.number() });
    expect(request).toMatchObject({ kind: 'request', subject: 'mesh.ca.issue.v2', timeoutMs: 5000 });
    expect(Object.isFrozen(request)).toBe(true);
    const event = defineEvent({ subject: 'mesh.system.ping.mesh-api.v1', payload: z.string() });
    expect(event).toMatchObject({ kind: 'event', subject: 'mesh.system.ping.mesh-api.v1' });
  });

  it.each([
    'ca.issue.v1', // no "mesh." prefix
    'mesh.ca.v1', // no event
    'mesh.ca.issue', // no version
    'mesh.ca.issue.v0', // majors start at 1
    'mesh.CA.issue.v1', // lower case only
    'mesh.ca.issue.*.v1', // no wildcards: a subject names one thing
    'mesh.ca..issue.v1',
  ])('refuse the subject %s', (subject) => {
    const message = `subject "${subject}" does not match mesh.<context>.<event>.v<major>`;
    expect(() => defineRequest({ subject, request: z.string(), reply: z.string() })).toThrow(message);
    expect(() => defineEvent({ subject, payload: z.string() })).toThrow(message);
  });
});

describe('replyEnvelope', () => {
  it('carries a reply or a coded error', () => {
    expect(replyEnvelope.parse({ ok: true, data: { any: 'thing' } })).toEqual({
      ok: true,
      data: { any: 'thing' },
    });
    const failed = { ok: false, error: { code: 'ca.invalid', message: 'bad backend' } };
    expect(replyEnvelope.parse(failed)).toEqual(failed);
  });

  it.each([
    [{ ok: false, error: { message: 'no code' } }, ['error', 'code']],
    [{ ok: false }, ['error']],
    [{ ok: 'yes', data: 1 }, ['ok']],
  ])('refuses %j', (envelope, path) => {
    const result = replyEnvelope.safeParse(envelope);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(path);
  });
});
