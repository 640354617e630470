import { z } from 'zod';

/** Subjects are `mesh.<context>.<event>.v<major>`; checked once, where a contract is declared. */
const SUBJECT = /^mesh\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*\.v[1-9][0-9]*$/;

function checkSubject(subject: string): string {
  if (!SUBJECT.test(subject)) {
    throw new Error(`subject "${subject}" does not match mesh.<context>.<event>.v<major>`);
  }
  return subject;
}

/** A request/reply exchange: one subject, the request schema and the reply schema, bound together. */
export interface RequestContract<Req, Res> {
  readonly kind: 'request';
  readonly subject: string;
  readonly request: z.ZodType<Req>;
  readonly reply: z.ZodType<Res>;
  /** Default deadline for a requester, in milliseconds. */
  readonly timeoutMs: number;
}

/** A fire-and-forget event: one subject and its payload schema. */
export interface EventContract<E> {
  readonly kind: 'event';
  readonly subject: string;
  readonly payload: z.ZodType<E>;
}

export function defineRequest<Req, Res>(def: {
  subject: string;
  request: z.ZodType<Req>;
  reply: z.ZodType<Res>;
  timeoutMs?: number;
}): RequestContract<Req, Res> {
  return Object.freeze({
    kind: 'request' as const,
    subject: checkSubject(def.subject),
    request: def.request,
    reply: def.reply,
    timeoutMs: def.timeoutMs ?? 5000,
  });
}

export function defineEvent<E>(def: { subject: string; payload: z.ZodType<E> }): EventContract<E> {
  return Object.freeze({ kind: 'event' as const, subject: checkSubject(def.subject), payload: def.payload });
}

export type RequestOf<C> = C extends RequestContract<infer Q, unknown> ? Q : never;
export type ReplyOf<C> = C extends RequestContract<unknown, infer R> ? R : never;
export type PayloadOf<C> = C extends EventContract<infer E> ? E : never;

/**
 * What travels back for every request: the reply, or a coded error. Errors keep their `code` across
 * processes so the edge can map them exactly as if they had been thrown locally.
 */
export const replyEnvelope = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type ReplyEnvelope = z.infer<typeof replyEnvelope>;
