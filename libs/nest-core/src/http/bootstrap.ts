import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoLogger } from 'nestjs-pino';
import { QuietFrameworkLogger } from './quiet-framework.logger';
import { parse as parseYaml } from 'yaml';
import type { CoreConfig } from '../config/core-config';
import { ApiErrorFilter, type AllowedMethods } from './api-error.filter';
import { ApiError } from './api-error';
import { keepFrameworkErrors } from './framework-errors';
import { drainRefusedBodies } from './refused-body';

/** Request bodies above this are refused with 413; the rest of such a body is read and discarded first. */
export const MAX_BODY_BYTES = 1024 * 1024;
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

export interface BootstrapOptions {
  readonly module: unknown;
  readonly config: CoreConfig;
  /** What to call this process in its start-up line (`mesh-api`, `control plane (standalone)`). */
  readonly label: string;
  readonly allowedMethods?: AllowedMethods;
}

/**
 * Starts one HTTP process: Fastify with a 1 MiB body limit, JSON and YAML bodies, Kuma-shaped errors,
 * graceful shutdown on SIGTERM/SIGINT (exit code 0 once done), and one line on stdout saying where it
 * listens.
 */
export async function bootstrapHttpApp(options: BootstrapOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES, routerOptions: { maxParamLength: 512 } });
  const app = await NestFactory.create<NestFastifyApplication>(options.module as never, adapter, {
    bufferLogs: true,
  });
  app.useLogger(new QuietFrameworkLogger(app.get(PinoLogger)));
  app.useGlobalFilters(new ApiErrorFilter(options.allowedMethods));
  registerYamlParser(app);
  keepFrameworkErrors(app.getHttpAdapter().getInstance());
  drainRefusedBodies(app.getHttpAdapter().getInstance());
  // Once the shutdown hooks have run, exit 0 (1 if one failed) instead of re-raising the signal: a stop
  // that finished its work then reads as a success, told apart from a process killed mid-way.
  app.enableShutdownHooks([], { useProcessExit: true });
  const { address, port } = options.config.http;
  await app.listen(port, address);
  const url = await app.getUrl();
  process.stdout.write(
    `${options.label} listening on ${url.replace('[::1]', 'localhost')} (instance ${options.config.instanceId})\n`,
  );
  return app;
}

function registerYamlParser(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  // Resources are JSON or YAML; a text/plain body is refused (415) rather than parsed as a string.
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser(
    YAML_TYPES,
    { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
    (_req, body, done) => {
      try {
        // Aliases are capped so a small "billion laughs" document cannot expand into a huge one.
        done(null, parseYaml(body as string, { maxAliasCount: 100, uniqueKeys: true }));
      } catch (error) {
        done(
          new ApiError(400, 'Bad Request', `invalid YAML: ${(error as Error).message.split('\n')[0]}`),
          undefined,
        );
      }
    },
  );
}
