import {
  MeshNotFoundError,
  parseDataplaneTokenRequest,
  type DataplaneTokenService,
} from '@meshtls/application';
import { ValidationError } from '@meshtls/domain';
import { ApiError } from '@meshtls/nest-core';
import type { FastifyRequest } from 'fastify';
import { authenticate, authorize, credentialsOf, type AccessSettings } from '../access/access-policy';

/** Kuma's titles and detail: a bad request is "Invalid request", anything else "Could not issue a token". */
export const TokenErrorTitles = {
  invalid: 'Invalid request',
  invalidDetail: 'Resource is not valid',
  failed: 'Could not issue a token',
} as const;

/**
 * Translates `POST /tokens/dataplane` into the token use case: admin check first (nothing about the
 * request is judged for anyone else), then Kuma's body, then the token. Errors leave in Kuma's shape.
 */
export class TokenHttpService {
  constructor(
    private readonly access: AccessSettings,
    private readonly tokens: DataplaneTokenService,
  ) {}

  async issueDataplaneToken(request: FastifyRequest): Promise<string> {
    const principal = authenticate(this.access, credentialsOf(request));
    // Tokens grant identities: only the admin may mint them, as for any change.
    authorize(principal, 'POST', undefined);
    try {
      return await this.tokens.issue(parseDataplaneTokenRequest(request.body));
    } catch (error) {
      if (error instanceof ValidationError) {
        throw new ApiError(400, TokenErrorTitles.invalid, TokenErrorTitles.invalidDetail, error.violations);
      }
      if (error instanceof MeshNotFoundError) throw new ApiError(404, TokenErrorTitles.failed, error.message);
      throw error;
    }
  }
}
