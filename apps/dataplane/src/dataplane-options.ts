import { readFileSync } from 'node:fs';
import { parseResource, ResourceType, ValidationError, type ParsedResource } from '@meshtls/domain';
import { parse as parseYaml } from 'yaml';

/** The Dataplane resource from `--dataplane-file`: validated, and the document as written (sent in the hello). */
export interface DataplaneFile {
  readonly parsed: ParsedResource;
  readonly document: Record<string, unknown>;
}

/** Reads and validates the Dataplane resource file; problems are reported with the file and the field. */
export function loadDataplaneFile(path: string): DataplaneFile {
  const text = readOption('--dataplane-file', path);
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new Error(`--dataplane-file ${path}: invalid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    const parsed = parseResource(document);
    if (parsed.key.type !== ResourceType.Dataplane) {
      throw new Error(`--dataplane-file ${path}: type must be Dataplane, not ${parsed.key.type}`);
    }
    return { parsed, document: document as Record<string, unknown> };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const lines = error.violations.map((v) => `  * ${v.field}: ${v.message}`);
    throw new Error(`--dataplane-file ${path}: ${error.message}\n${lines.join('\n')}`);
  }
}

/** The text of a file named by an option, or an error naming the option and what went wrong. */
export function readOption(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${option} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/**
 * `--cp-address`: the dataplane server of a mesh-api replica, `https://host:5678` (Kuma's form) or
 * `host:port`. Several give failover candidates, tried in turn. Returns `host:port` for gRPC.
 */
export function parseCpAddress(value: string, previous: string[] = []): string[] {
  const withScheme = /^[a-z]+:\/\//i.test(value) ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`--cp-address ${value}: not an address (expected e.g. https://127.0.0.1:5678)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'grpcs:') {
    throw new Error(`--cp-address ${value}: the dataplane server speaks TLS only: use https://host:port`);
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new Error(`--cp-address ${value}: must not have a path`);
  }
  return [...previous, `${url.hostname}:${url.port || '5678'}`];
}
