import { NameLimits, isValidResourceName } from '@meshtls/domain';
import type { DecodedJwt } from '@meshtls/pki';
import { DataplaneTokenError, type DataplaneTokenClaims } from '../dataplanes/dataplane-token.port';
import type { CheckedIssueCommand } from './dataplane-token.validation';

/** The JWT claims of a dataplane token, named as Kuma names them; times in seconds (RFC 7519). */
export interface DataplaneJwtClaims {
  readonly Name: string;
  readonly Mesh: string;
  readonly Tags: Readonly<Record<string, string>>;
  readonly iat: number;
  readonly exp: number;
  /** Random, so two tokens issued in the same second differ and can be told apart in logs. */
  readonly jti: string;
}

/** The claims to sign; `exp - iat` is the validity asked for, in whole seconds (rounded up). */
export function toJwtClaims(command: CheckedIssueCommand, now: Date, jti: string): DataplaneJwtClaims {
  const iat = Math.floor(now.getTime() / 1000);
  return {
    Name: command.name,
    Mesh: command.mesh,
    Tags: command.tags,
    iat,
    exp: iat + Math.ceil(command.validForMs / 1000),
    jti,
  };
}

/**
 * Reads the claims of a decoded (not yet verified) token. Mesh and name must be valid resource names, so
 * they are safe to quote in later refusals; anything else is `malformed`.
 */
export function claimsFromJwt(decoded: DecodedJwt): DataplaneTokenClaims {
  const { claims, header } = decoded;
  const mesh = claims.Mesh;
  const name = claims.Name;
  if (typeof mesh !== 'string' || !isValidResourceName(mesh, NameLimits.mesh)) {
    throw malformed('the "Mesh" claim is missing or not a mesh name');
  }
  if (typeof name !== 'string' || !isValidResourceName(name, NameLimits.resource)) {
    throw malformed('the "Name" claim is missing or not a dataplane name');
  }
  const exp = claims.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0) {
    throw malformed('the "exp" claim is missing or not a time');
  }
  if (header.kid === undefined) throw malformed('the header names no signing key (kid)');
  return { mesh, name, tags: tagsOf(claims.Tags), expiresAt: new Date(exp * 1000), keyId: header.kid };
}

function tagsOf(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed('the "Tags" claim is not an object');
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [tag, tagValue] of entries) {
    if (typeof tagValue !== 'string' || tag === '' || tagValue === '') {
      throw malformed('the "Tags" claim must map tag names to non-empty strings');
    }
  }
  // fromEntries defines own properties: a tag named "__proto__" stays a tag, not a prototype.
  return Object.fromEntries(entries) as Record<string, string>;
}

function malformed(message: string): DataplaneTokenError {
  return new DataplaneTokenError('malformed', message);
}
