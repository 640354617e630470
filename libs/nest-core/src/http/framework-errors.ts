import type { FastifyInstance } from 'fastify';

const raised = new WeakMap<object, Error>();

/**
 * Nest hands the exception filter an error Fastify raised before a handler ran (a body too large, an
 * unsupported media type, bad JSON) only as a bare HttpException: its message and status, not its code.
 * An onError hook, which Fastify runs with the original first, keeps it for the request it failed.
 */
export function keepFrameworkErrors(fastify: FastifyInstance): void {
  fastify.addHook('onError', async (request, _reply, error) => {
    raised.set(request.raw, error);
  });
}

/** The error Fastify raised for this raw request, if any (see keepFrameworkErrors). */
export function frameworkErrorOf(rawRequest: object): Error | undefined {
  return raised.get(rawRequest);
}
