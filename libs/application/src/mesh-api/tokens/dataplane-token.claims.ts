import { NameLimits, isValidResourceName } from '@meshtls/domain';
import type { DecodedJwt } from '@meshtls/pki';
import { DataplaneTokenError, type DataplaneTokenClaims } from '../dataplanes/dataplane-token.port';
import type { CheckedIssueCommand } from './dataplane-token.validation';

/**
 * How far back `iat` and `nbf` are set, as Kuma does, so a replica whose clock is a little behind the
 * issuer's still accepts a token it is handed at once.
 */
export const CLOCK_SKEW_SECONDS = 5;

/**
 * The JWT claims of a dataplane token, named, ordered and shaped as Kuma's (`DataplaneClaims`): tags are
 * lists of allowed values; times in seconds (RFC 7519).
 */
export interface DataplaneJwtClaims {
  readonly Name: string;
  readonly Mesh: string;
  readonly Tags: Readonly<Record<string, readonly string[]>>;
  readonly Type: string;
  readonly Workload: string;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  /** Random, so two tokens issued in the same second differ and can be told apart in logs. */
  readonly jti: string;
}

/**
 * The claims to sign: valid from a few seconds ago until `validFor` (rounded up to a second) from this
 * second, so `exp - iat` is always the validity plus the skew, as in Kuma's tokens.
 */
export function toJwtClaims(command: CheckedIssueCommand, now: Date, jti: string): DataplaneJwtClaims {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const iat = nowSeconds - CLOCK_SKEW_SECONDS;
  return {
    Name: command.name,
    Mesh: command.mesh,
    Tags: command.tags,
    Type: command.type,
    Workload: command.workload,
    exp: nowSeconds + Math.ceil(command.validForMs / 1000),
    nbf: iat,
    iat,
    jti,
  };
}

/** A token's claims plus when it starts being valid (`nbf`, absent from tokens of the first claim form). */
export interface ReadClaims {
  readonly claims: DataplaneTokenClaims;
  readonly notBefore?: Date;
  /** The token's id (`jti`), what a revocation names; empty when it has none. */
  readonly id: string;
}

/**
 * Reads the claims of a decoded (not yet verified) token: Kuma's form, and the first form of ours (tags
 * as single strings, no `Type`, `Workload` or `nbf`), so tokens issued before keep working until they
 * expire. Mesh and name must be valid resource names (the name may be empty: any dataplane), so they are
 * safe to quote in later refusals; anything else is `malformed`.
 */
export function claimsFromJwt(decoded: DecodedJwt): ReadClaims {
  const { claims, header } = decoded;
  const mesh = claims.Mesh;
  const name = claims.Name;
  if (typeof mesh !== 'string' || !isValidResourceName(mesh, NameLimits.mesh)) {
    throw malformed('the "Mesh" claim is missing or not a mesh name');
  }
  if (typeof name !== 'string' || (name !== '' && !isValidResourceName(name, NameLimits.resource))) {
    throw malformed('the "Name" claim is missing or not a dataplane name');
  }
  const exp = claims.exp;
  if (!isTime(exp)) throw malformed('the "exp" claim is missing or not a time');
  const nbf = claims.nbf;
  if (nbf !== undefined && !isTime(nbf)) throw malformed('the "nbf" claim is not a time');
  if (header.kid === undefined) throw malformed('the header names no signing key (kid)');
  return {
    claims: {
      mesh,
      name,
      tags: tagsOf(claims.Tags),
      type: optionalString(claims.Type, 'Type'),
      workload: optionalString(claims.Workload, 'Workload'),
      expiresAt: new Date(exp * 1000),
      keyId: header.kid,
    },
    ...(nbf !== undefined ? { notBefore: new Date(nbf * 1000) } : {}),
    id: optionalString(claims.jti, 'jti'),
  };
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function optionalString(value: unknown, claim: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw malformed(`the "${claim}" claim is not a string`);
  return value;
}

function tagsOf(value: unknown): Readonly<Record<string, readonly string[]>> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed('the "Tags" claim is not an object');
  const entries: [string, readonly string[]][] = [];
  for (const [tag, tagValue] of Object.entries(value as Record<string, unknown>)) {
    // A single string is the first claim form; a list is Kuma's.
    const values = typeof tagValue === 'string' ? [tagValue] : tagValue;
    if (
      tag === '' ||
      !Array.isArray(values) ||
      values.length === 0 ||
      values.some((v) => typeof v !== 'string' || v === '')
    ) {
      throw malformed('the "Tags" claim must map tag names to lists of non-empty strings');
    }
    entries.push([tag, values as string[]]);
  }
  // fromEntries defines own properties: a tag named "__proto__" stays a tag, not a prototype.
  return Object.fromEntries(entries);
}

function malformed(message: string): DataplaneTokenError {
  return new DataplaneTokenError('malformed', message);
}
