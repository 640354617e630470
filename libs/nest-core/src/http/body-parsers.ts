import type { FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { forbiddenKeyViolations } from '@meshtls/domain';
import { ApiError } from './api-error';

export const JSON_TYPE = 'application/json';
export const YAML_TYPES: readonly string[] = [
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
];

/** The 415 answer's detail: what a body may be. */
export const ACCEPTED_BODY_TYPES_DETAIL =
  `request bodies must be JSON (Content-Type: ${JSON_TYPE}) or YAML (${YAML_TYPES.join(', ')}); ` +
  'forms, multipart and text/plain bodies are not accepted';

export interface BodyParserOptions {
  readonly bodyLimit: number;
}

/**
 * Request bodies are JSON or YAML and nothing else: every other parser (Fastify's text/plain, Nest's
 * URL-encoded forms) is removed, so a form or multipart body is a 415 before any handler runs. A browser
 * can send such bodies cross-site without asking the server first; JSON and YAML it cannot.
 * A key `__proto__`, `constructor` or `prototype` anywhere in either is a 400 naming where it is.
 */
export function registerBodyParsers(fastify: FastifyInstance, options: BodyParserOptions): void {
  fastify.removeAllContentTypeParsers();
  /** Bodies of `types` read as text and parsed by `parse`; what it throws is the request's error. */
  const parseBodies = (types: string | string[], parse: (body: string) => unknown) =>
    fastify.addContentTypeParser(
      types,
      { parseAs: 'string', bodyLimit: options.bodyLimit },
      (_req, body, done) => {
        try {
          done(null, parse(body as string));
        } catch (error) {
          done(error as Error, undefined);
        }
      },
    );
  parseBodies(JSON_TYPE, parseJsonBody);
  parseBodies([...YAML_TYPES], parseYamlBody);
}

/** A JSON body; an error never quotes it (it may hold a secret). */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw new ApiError(400, 'Bad Request', 'request body is empty');
  let document: unknown;
  try {
    // JSON.parse makes `__proto__` an own property (never the prototype), which the check below sees.
    document = JSON.parse(text);
  } catch {
    throw new ApiError(
      400,
      'Bad Request',
      "Body is not valid JSON but content-type is set to 'application/json'",
    );
  }
  return refuseForbiddenKeys(document);
}

/** A YAML body, aliases capped so a small "billion laughs" document cannot expand into a huge one. */
export function parseYamlBody(text: string): unknown {
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (error) {
    throw new ApiError(400, 'Bad Request', `invalid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return refuseForbiddenKeys(document);
}

function refuseForbiddenKeys(document: unknown): unknown {
  const violations = forbiddenKeyViolations(document);
  if (violations.length === 0) return document;
  throw new ApiError(
    400,
    'Bad Request',
    `request body uses a forbidden key at ${violations.map((v) => v.field).join(', ')}`,
    violations,
  );
}
