import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, apiErrorBody } from './api-error';
import { ErrorTitles, toApiError } from './error-mapping';
import { frameworkErrorOf } from './framework-errors';

/** Tells which methods a path supports, so an unsupported method is a 405 rather than a 404. */
export type AllowedMethods = (path: string) => readonly string[] | undefined;

/** Every error leaves the process in Kuma's error shape; 5xx are logged (without request bodies). */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  constructor(private readonly allowedMethods: AllowedMethods = () => undefined) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const error = this.translate(exception, request);
    if (error.status >= 500) {
      this.logger.error(
        `${request.method} ${request.url}: ${(exception as Error)?.stack ?? String(exception)}`,
      );
    }
    void reply
      .status(error.status)
      .headers({ ...error.headers, 'content-type': 'application/json' })
      .send(apiErrorBody(error.status, error.title, error.detail, error.causes));
  }

  private translate(exception: unknown, request: FastifyRequest): ApiError {
    if (exception instanceof HttpException && !(exception instanceof ApiError)) {
      // Fastify's own errors come wrapped; the original (kept by keepFrameworkErrors) says which it was.
      const raised = frameworkErrorOf(request.raw);
      if (raised) return toApiError(raised, request.method);
      const status = exception.getStatus();
      if (status === 404) return this.notFound(request);
      return new ApiError(status, exception.name, exception.message);
    }
    return toApiError(exception, request.method);
  }

  private notFound(request: FastifyRequest): ApiError {
    const path = request.url.split('?')[0];
    const allowed = this.allowedMethods(path);
    if (allowed && !allowed.includes(request.method)) {
      return new ApiError(
        405,
        ErrorTitles.methodNotAllowed,
        `${request.method} is not supported on ${path}`,
        [],
        {
          allow: allowed.join(', '),
        },
      );
    }
    return new ApiError(404, 'Not found', 'Not found');
  }
}
