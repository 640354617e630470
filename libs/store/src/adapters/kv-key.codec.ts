import type { ResourceKey } from '@meshtls/domain';
import { isResourceType } from '@meshtls/domain';

/**
 * How resource keys become NATS KV keys.
 *
 * A KV key is a NATS subject: tokens separated by `.`, each of `[-/_=a-zA-Z0-9]`. Resources become
 *
 *   `<Type>.<mesh>.<name>`   for mesh-scoped types (`Secret.default.ca-builtin-cert-ca=2E1`)
 *   `<Type>.<name>`          for global types (`Mesh.default`)
 *
 * Mesh and name are each encoded as ONE token: `[-_a-zA-Z0-9]` stay as they are and every other UTF-8
 * byte, `.` and `=` included, becomes `=XX` (two upper-case hex digits). As no encoded segment contains
 * `.`, the filter `Secret.<mesh>.>` matches exactly one mesh: `default` never matches `default.x`
 * (`default=2Ex`) or `default-2`. The encoding is one-to-one, so keys decode back without a lookup.
 */
const PLAIN = /^[-_a-zA-Z0-9]$/;

export function encodeSegment(segment: string): string {
  if (segment === '') throw new Error('resource key segments must not be empty');
  let out = '';
  for (const char of segment) {
    if (PLAIN.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8'))
      out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeSegment(token: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '=') {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(token.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The KV key of a resource. */
export function encodeKvKey(key: ResourceKey): string {
  const name = encodeSegment(key.name);
  return key.mesh === undefined ? `${key.type}.${name}` : `${key.type}.${encodeSegment(key.mesh)}.${name}`;
}

/** The resource key of a KV key, or undefined for a key this codec did not write. */
export function decodeKvKey(kvKey: string): ResourceKey | undefined {
  const tokens = kvKey.split('.');
  const type = tokens[0];
  if (!isResourceType(type)) return undefined;
  if (tokens.length === 2) return { type, name: decodeSegment(tokens[1]!) };
  if (tokens.length === 3) return { type, mesh: decodeSegment(tokens[1]!), name: decodeSegment(tokens[2]!) };
  return undefined;
}
