import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoLogger } from 'nestjs-pino';
import { QuietFrameworkLogger } from './quiet-framework.logger';
import type { CoreConfig } from '../config/core-config';
import { ApiErrorFilter, type AllowedMethods } from './api-error.filter';
import { registerBodyParsers } from './body-parsers';
import { keepFrameworkErrors } from './framework-errors';
import { listeningUrl } from './listening-url';
import { drainRefusedBodies } from './refused-body';

/** Request bodies above this are refused with 413; the rest of such a body is read and discarded first. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Options every HTTP application is created with: Nest's own body parsers (JSON, and URL-encoded forms)
 * are off, replaced by registerBodyParsers in configureHttpApp.
 */
export const HTTP_APP_OPTIONS = { bodyParser: false } as const;

export interface BootstrapOptions {
  readonly module: unknown;
  readonly config: CoreConfig;
  /** What to call this process in its start-up line (`mesh-api`, `control plane (standalone)`). */
  readonly label: string;
  readonly allowedMethods?: AllowedMethods;
}

/**
 * Starts one HTTP process: Fastify with a 1 MiB body limit, JSON and YAML bodies only, Kuma-shaped
 * errors, graceful shutdown on SIGTERM/SIGINT (exit code 0 once done), and one line on stdout naming the
 * address it is bound to.
 */
export async function bootstrapHttpApp(options: BootstrapOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES, routerOptions: { maxParamLength: 512 } });
  const app = await NestFactory.create<NestFastifyApplication>(options.module as never, adapter, {
    ...HTTP_APP_OPTIONS,
    bufferLogs: true,
  });
  app.useLogger(new QuietFrameworkLogger(app.get(PinoLogger)));
  configureHttpApp(app, options.allowedMethods);
  // Once the shutdown hooks have run, exit 0 (1 if one failed) instead of re-raising the signal: a stop
  // that finished its work then reads as a success, told apart from a process killed mid-way.
  app.enableShutdownHooks([], { useProcessExit: true });
  const { address, port } = options.config.http;
  await app.listen(port, address);
  // The address the socket is bound to (0.0.0.0 when every interface), not a loopback name for it.
  const url = listeningUrl(app.getHttpServer().address());
  process.stdout.write(`${options.label} listening on ${url} (instance ${options.config.instanceId})\n`);
  return app;
}

/**
 * What every HTTP application gets before it starts (created with HTTP_APP_OPTIONS): Kuma-shaped errors,
 * JSON and YAML bodies only, and refused bodies drained before the answer.
 */
export function configureHttpApp(app: NestFastifyApplication, allowedMethods?: AllowedMethods): void {
  const fastify = app.getHttpAdapter().getInstance();
  app.useGlobalFilters(new ApiErrorFilter(allowedMethods));
  registerBodyParsers(fastify, { bodyLimit: MAX_BODY_BYTES });
  keepFrameworkErrors(fastify);
  drainRefusedBodies(fastify);
}
