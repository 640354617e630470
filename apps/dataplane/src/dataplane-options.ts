import { readFileSync } from 'node:fs';
import { parseResource, ResourceType, ValidationError, type ParsedResource } from '@meshtls/domain';
import { parse as parseYaml } from 'yaml';

export interface DataplaneOptions {
  readonly cpAddresses: readonly string[];
  readonly dataplane: ParsedResource;
  readonly adminAddress: string;
  readonly adminPort: number;
}

/** Reads and validates the Dataplane resource file; problems are reported with the file and the field. */
export function loadDataplaneFile(path: string): ParsedResource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`--dataplane-file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
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
    return parsed;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const lines = error.violations.map((v) => `  * ${v.field}: ${v.message}`);
    throw new Error(`--dataplane-file ${path}: ${error.message}\n${lines.join('\n')}`);
  }
}

/** `--cp-address` values must be http(s) URLs; several give failover candidates, tried in order. */
export function parseCpAddress(value: string, previous: string[] = []): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--cp-address ${value}: not a URL (expected e.g. http://127.0.0.1:5681)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--cp-address ${value}: must start with http:// or https://`);
  }
  return [...previous, url.toString().replace(/\/$/, '')];
}
