import type { z } from 'zod';
import type { EventContract, ReplyEnvelope, RequestContract } from '@meshtls/contracts';
import { replyEnvelope, schemaIssues } from '@meshtls/contracts';
import { InvalidMessageError, MeshError, RemoteError } from '@meshtls/util';

/** Told about a failure the other side never hears of: a handler's unexpected error, a bad event. */
export type BusErrorHandler = (error: unknown, subject: string) => void;

/**
 * The wire format shared by every bus adapter: payloads and replies are JSON text, checked against the
 * contract's schema on both sides, and every reply is a `replyEnvelope`.
 */
export function check<T>(schema: z.ZodType<T>, value: unknown, subject: string, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // Paths and zod's messages only: a payload may hold secret material, so no value is ever quoted.
  throw new InvalidMessageError(
    `${subject}: ${what} does not match its schema (${schemaIssues(result.error)})`,
  );
}

function parseJson(wire: string, subject: string, what: string): unknown {
  try {
    return JSON.parse(wire);
  } catch {
    throw new InvalidMessageError(`${subject}: ${what} is not JSON`);
  }
}

export function encodeRequest<Q, R>(contract: RequestContract<Q, R>, payload: Q): string {
  return JSON.stringify(check(contract.request, payload, contract.subject, 'request'));
}

/**
 * The responder side: decodes and checks the request, runs the handler and returns the envelope to send
 * back. A MeshError travels with its code and message; anything else becomes `internal` without detail.
 */
export async function answerRequest<Q, R>(
  contract: RequestContract<Q, R>,
  handler: (request: Q) => Promise<R>,
  wire: string,
  onError?: BusErrorHandler,
): Promise<string> {
  let envelope: ReplyEnvelope;
  try {
    const request = check(
      contract.request,
      parseJson(wire, contract.subject, 'request'),
      contract.subject,
      'request',
    );
    const reply = await handler(request);
    envelope = { ok: true, data: check(contract.reply, reply, contract.subject, 'reply') };
  } catch (err) {
    if (err instanceof MeshError) {
      envelope = { ok: false, error: { code: err.code, message: err.message } };
    } else {
      onError?.(err, contract.subject);
      envelope = { ok: false, error: { code: 'internal', message: 'internal error' } };
    }
  }
  return JSON.stringify(envelope);
}

/** The requester side: the checked reply, or the RemoteError the responder sent. */
export function readReply<Q, R>(contract: RequestContract<Q, R>, wire: string): R {
  const envelope = check(
    replyEnvelope,
    parseJson(wire, contract.subject, 'reply'),
    contract.subject,
    'reply envelope',
  );
  if (!envelope.ok) throw new RemoteError(envelope.error.code, envelope.error.message);
  return check(contract.reply, envelope.data, contract.subject, 'reply');
}

export function encodeEvent<E>(contract: EventContract<E>, payload: E): string {
  return JSON.stringify(check(contract.payload, payload, contract.subject, 'event'));
}

/** Decodes and checks an event; throws `InvalidMessageError` for anything its schema refuses. */
export function decodeEvent<E>(contract: EventContract<E>, wire: string): E {
  return check(contract.payload, parseJson(wire, contract.subject, 'event'), contract.subject, 'event');
}

/** Decodes, checks and hands an event to its handler; failures go to `onError` (a publisher cannot hear). */
export async function deliverEvent<E>(
  contract: EventContract<E>,
  handler: (event: E) => void | Promise<void>,
  wire: string,
  onError?: BusErrorHandler,
): Promise<void> {
  try {
    await handler(decodeEvent(contract, wire));
  } catch (err) {
    onError?.(err, contract.subject);
  }
}
