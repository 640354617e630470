import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';

/** How much of a refused body is read and thrown away, and for how long, before the connection is cut. */
export interface DiscardLimits {
  readonly maxBytes: number;
  readonly maxMs: number;
}

/**
 * The rest of a body refused as too large is read up to 16 MiB or 30 s: enough for a client that sent a
 * somewhat large resource by mistake to finish sending and read the 413; more is not worth the bandwidth.
 */
export const REFUSED_BODY_LIMITS: DiscardLimits = { maxBytes: 16 * 1024 * 1024, maxMs: 30_000 };

/**
 * Reads and throws away what is left of a request body. Resolves true once the body has ended, false once
 * `maxBytes` more were read or `maxMs` passed (reading then stops).
 */
export function discardBody(body: Readable, limits: DiscardLimits): Promise<boolean> {
  if (body.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    let read = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      body.off('data', onData).off('end', onEnd).off('error', onError);
      if (!ended) body.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer | string) => {
      read += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      if (read > limits.maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = () => finish(false);
    const timer = setTimeout(() => finish(false), limits.maxMs);
    body.on('data', onData).on('end', onEnd).on('error', onError);
    body.resume();
  });
}

/**
 * Fastify refuses a body over its limit (413) as soon as the declared length or the bytes read exceed it,
 * and closes the connection after the answer. Closing while the client still sends makes the kernel reset
 * the connection: the client's writes fail (EPIPE) and the answer is often lost before it is read. So the
 * rest of such a body is read and discarded (within `limits`) before the answer goes out.
 */
export function drainRefusedBodies(fastify: FastifyInstance, limits = REFUSED_BODY_LIMITS): void {
  fastify.addHook('onError', async (request, _reply, error) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') await discardBody(request.raw, limits);
  });
}
