import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { ResourceType, ValidationError } from '@meshtls/domain';
import { MAX_JWT_LENGTH, decodeJwt, signJwt, verifyJwtSignature, type DecodedJwt } from '@meshtls/pki';
import type { ResourceStore } from '@meshtls/store';
import { MeshError, type Clock } from '@meshtls/util';
import { MeshNotFoundError } from '../../ports/ca.errors';
import {
  DataplaneTokenError,
  type DataplaneTokenClaims,
  type DataplaneTokenVerifier,
} from '../dataplanes/dataplane-token.port';
import { claimsFromJwt, toJwtClaims } from './dataplane-token.claims';
import {
  TokenRequestMessages,
  validateIssueCommand,
  type IssueDataplaneTokenCommand,
} from './dataplane-token.validation';
import { DataplaneSigningKeys, type SigningKey } from './dataplane-signing-keys';
import { DataplaneTokenRevocations, revocationsSecretName } from './dataplane-token-revocations';
import { SigningKeyInvalidError } from './tokens.errors';

/** Verified tokens remembered per signing key (digests, 44 bytes each), before the set starts over. */
const MAX_REMEMBERED_TOKENS = 100_000;

/**
 * Dataplane tokens, as Kuma's: a JWT (ES256 here) with Kuma's claims, binding a mesh and optionally a
 * dataplane name, tags (each a list of allowed values) and a workload, signed by the mesh's current
 * signing key, a Secret of the mesh made on the mesh's first token. Nothing about issued tokens is
 * stored; deleting a signing key revokes every token it signed, listing a token's id in the mesh's
 * revocation Secret revokes that one.
 */
export class DataplaneTokenService implements DataplaneTokenVerifier {
  private readonly verified = new WeakMap<SigningKey, Set<string>>();

  private readonly keys: DataplaneSigningKeys;
  private readonly revocations: DataplaneTokenRevocations;

  constructor(
    private readonly store: ResourceStore,
    private readonly clock: Clock,
  ) {
    this.keys = new DataplaneSigningKeys(store);
    this.revocations = new DataplaneTokenRevocations(store);
  }

  /**
   * A token for dataplane `name` of `mesh` (any dataplane of it when `name` is empty). Throws
   * `ValidationError` (fields `mesh`, `name`, `tags[...]`, `type`, `workload`, `validFor`) for a bad
   * command and `MeshNotFoundError` when the mesh does not exist.
   */
  async issue(command: IssueDataplaneTokenCommand): Promise<string> {
    const checked = validateIssueCommand(command);
    const mesh = await this.store.get({ type: ResourceType.Mesh, name: checked.mesh });
    if (!mesh) throw new MeshNotFoundError(checked.mesh);
    const key = await this.keys.current(checked.mesh);
    const token = signJwt(toJwtClaims(checked, this.clock.now(), randomUUID()), key.privateKey, key.kid);
    if (token.length > MAX_JWT_LENGTH) {
      // Verifiers refuse longer tokens unread; never hand out one that could not be used.
      throw new ValidationError(
        [
          {
            field: 'tags',
            message: `too many or too long tags: the token would exceed ${MAX_JWT_LENGTH} characters`,
          },
        ],
        TokenRequestMessages.invalid,
      );
    }
    return token;
  }

  /**
   * Checks format, signing key, signature, then the validity period (`exp`, and `nbf` when the token
   * has one), then Kuma's revocation list, in that order, so nothing about an unsigned token's claims
   * is judged. Throws `DataplaneTokenError`; its message never quotes the token.
   */
  async verify(token: string): Promise<DataplaneTokenClaims> {
    const text = typeof token === 'string' ? token.trim() : '';
    if (text === '') throw new DataplaneTokenError('missing', 'no dataplane token was given');
    const decoded = decode(text);
    const { claims, notBefore, id } = claimsFromJwt(decoded);
    const key = await this.keyFor(claims);
    try {
      this.verifySignature(text, decoded, key);
    } catch (error) {
      if (!(error instanceof MeshError)) throw error;
      throw new DataplaneTokenError(
        'bad-signature',
        `the token signature does not verify with signing key ${claims.keyId} of mesh "${claims.mesh}"`,
      );
    }
    if (this.clock.now().getTime() >= claims.expiresAt.getTime()) {
      throw new DataplaneTokenError('expired', `the token expired at ${claims.expiresAt.toISOString()}`);
    }
    if (notBefore !== undefined && this.clock.now().getTime() < notBefore.getTime()) {
      throw new DataplaneTokenError(
        'not-yet-valid',
        `the token is not valid before ${notBefore.toISOString()}: is this host's clock behind?`,
      );
    }
    if (await this.revocations.isRevoked(claims.mesh, id)) {
      throw new DataplaneTokenError(
        'revoked',
        `the token is revoked: its id is listed in Secret "${revocationsSecretName(claims.mesh)}" of mesh "${claims.mesh}"`,
      );
    }
    return claims;
  }

  /**
   * ECDSA verification costs a fifth of a millisecond; a fleet reconnecting after a replica dies presents
   * the same tokens again. A token whose signature verified with this very key object (a new or changed
   * key is a new object) is not verified again; expiry is still checked every time.
   */
  private verifySignature(token: string, decoded: DecodedJwt, key: SigningKey): void {
    const digest = createHash('sha256').update(token).digest('base64');
    let verified = this.verified.get(key);
    if (verified?.has(digest)) return;
    verifyJwtSignature(decoded, key.publicKey);
    if (!verified) this.verified.set(key, (verified = new Set()));
    if (verified.size >= MAX_REMEMBERED_TOKENS) verified.clear();
    verified.add(digest);
  }

  private async keyFor(claims: DataplaneTokenClaims): Promise<SigningKey> {
    let key: SigningKey | undefined;
    try {
      key = await this.keys.find(claims.mesh, claims.keyId);
    } catch (error) {
      if (!(error instanceof SigningKeyInvalidError)) throw error;
      throw new DataplaneTokenError('unknown-key', error.message);
    }
    if (key) return key;
    // The kid is quoted only when it has the shape of our serials: it comes from an unverified token.
    const named = /^\d{1,9}$/.test(claims.keyId) ? ` ${claims.keyId}` : '';
    throw new DataplaneTokenError(
      'unknown-key',
      `mesh "${claims.mesh}" has no signing key${named}: it was rotated out, or the mesh was deleted`,
    );
  }
}

function decode(token: string): DecodedJwt {
  try {
    return decodeJwt(token);
  } catch (error) {
    if (!(error instanceof MeshError)) throw error;
    throw new DataplaneTokenError('malformed', `not a dataplane token: ${error.message}`);
  }
}
