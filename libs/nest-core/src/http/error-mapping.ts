import {
  BadRequestError,
  ResourceAlreadyExistsError,
  ResourceConflictError,
  ResourceNotFoundError,
  ValidationError,
} from '@meshtls/domain';
import { StoreFullError } from '@meshtls/store/adapters';
import { TimeoutError } from '@meshtls/util';
import { ApiError } from './api-error';
import { ACCEPTED_BODY_TYPES_DETAIL } from './body-parsers';

/**
 * Kuma's titles for what a request was doing when it failed. A handler names its step (`toApiError`'s
 * `title`); an error no handler caught gets the title of its method.
 */
export const ErrorTitles = {
  retrieveResource: 'Could not retrieve a resource',
  retrieveResources: 'Could not retrieve resources',
  retrieveMesh: 'Failed to retrieve Mesh',
  formatResource: 'Could not format a resource',
  processResource: 'Could not process a resource',
  createResource: 'Failed to create a resource',
  updateResource: 'Failed to update a resource',
  /** An update refused before it is tried (labels it may not change). */
  refuseUpdate: 'Could not update a resource',
  deleteResource: 'Could not delete a resource',
  conflict: 'Conflict',
  badRequest: 'Bad Request',
  methodNotAllowed: 'Method not allowed',
  serviceUnavailable: 'Service unavailable',
} as const;

const TITLES: Readonly<Record<string, string>> = {
  GET: ErrorTitles.retrieveResource,
  PUT: ErrorTitles.processResource,
  DELETE: ErrorTitles.deleteResource,
};

/** Kuma's detail of a 500: nothing about the cause, which is logged. */
export const INTERNAL_ERROR_DETAIL = 'Internal Server Error';

/** Fastify's own errors (raised before a handler runs) and what a user should read for each. */
const FASTIFY_ERRORS: Readonly<Record<string, { status: number; title: string; detail: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    title: 'Payload Too Large',
    detail: 'request body is larger than 1 MiB',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported Media Type',
    detail: ACCEPTED_BODY_TYPES_DETAIL,
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, title: 'Bad Request', detail: 'request body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, title: 'Bad Request', detail: 'invalid Content-Length' },
};

/**
 * Maps anything thrown while serving a request to one ApiError, as Kuma's error handler does: coded
 * domain errors by code (400 and 404 under the step's `title`, 409 as `Conflict`), Fastify's parser errors
 * by their code, everything else to a 500 under the step's title whose detail reveals nothing.
 */
export function toApiError(error: unknown, method: string, title?: string): ApiError {
  if (error instanceof ApiError) return error;
  title ??= TITLES[method] ?? 'Request failed';
  if (error instanceof ValidationError) {
    return new ApiError(400, title, error.message, error.violations);
  }
  if (error instanceof BadRequestError) {
    // Kuma's BadRequest: its own title, whatever the step.
    return new ApiError(400, ErrorTitles.badRequest, `bad request: ${error.message}`);
  }
  if (error instanceof ResourceNotFoundError) return new ApiError(404, title, 'Not found');
  if (error instanceof ResourceAlreadyExistsError || error instanceof ResourceConflictError) {
    return new ApiError(409, ErrorTitles.conflict, error.message);
  }
  if (error instanceof TimeoutError) {
    // A role this request needs (e.g. ca-signer for a Mesh with mTLS) is down or overloaded: retryable.
    return new ApiError(
      503,
      ErrorTitles.serviceUnavailable,
      `a control-plane component did not answer in time: ${error.message}`,
      [],
      {
        'retry-after': '5',
      },
    );
  }
  if (error instanceof StoreFullError) {
    // Nothing was written; the write can be retried once space is freed (readiness says so meanwhile).
    return new ApiError(
      503,
      ErrorTitles.serviceUnavailable,
      'the resource store is full (no space left on its disk): nothing was written',
      [],
      { 'retry-after': '30' },
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && FASTIFY_ERRORS[code]) {
    const known = FASTIFY_ERRORS[code];
    return new ApiError(known.status, known.title, known.detail);
  }
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // Fastify's body parsers (bad JSON, forbidden keys like __proto__) say what is wrong without echoing the body.
    return new ApiError(statusCode, 'Bad Request', (error as Error).message);
  }
  return new ApiError(500, title, INTERNAL_ERROR_DETAIL);
}
