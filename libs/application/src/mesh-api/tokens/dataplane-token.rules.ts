import type { DataplaneSpec } from '@meshtls/domain';
import { DataplaneTokenError, type DataplaneTokenClaims } from '../dataplanes/dataplane-token.port';

/**
 * Whether verified token claims allow dataplane `name` of `mesh` described by `spec`: same mesh, same
 * name, and every tag of the token carried with the same value by EVERY inbound. Every inbound, not
 * one: an inbound without the token's `kuma.io/service` would get an identity the token never granted.
 * A token with tags therefore allows no dataplane without inbounds. Throws
 * `DataplaneTokenError('wrong-dataplane')`; fits `DataplaneAuthorizer`.
 */
export function tokenAllows(
  claims: DataplaneTokenClaims,
  mesh: string,
  name: string,
  spec: DataplaneSpec,
): void {
  if (claims.mesh !== mesh || claims.name !== name) {
    throw new DataplaneTokenError(
      'wrong-dataplane',
      `the token is for dataplane "${claims.name}" of mesh "${claims.mesh}", not "${name}" of mesh "${mesh}"`,
    );
  }
  const inbounds = spec.networking?.inbound ?? [];
  for (const tag of Object.keys(claims.tags).sort()) {
    const value = claims.tags[tag];
    if (inbounds.length === 0) {
      throw new DataplaneTokenError(
        'wrong-dataplane',
        `the token requires tag ${tag}=${value} on every inbound, and the dataplane has no inbound`,
      );
    }
    const index = inbounds.findIndex(
      (inbound) => !Object.hasOwn(inbound.tags ?? {}, tag) || inbound.tags[tag] !== value,
    );
    if (index >= 0) {
      const found = Object.hasOwn(inbounds[index].tags ?? {}, tag)
        ? `has ${tag}=${inbounds[index].tags[tag]}`
        : `has no tag ${tag}`;
      throw new DataplaneTokenError(
        'wrong-dataplane',
        `the token requires tag ${tag}=${value} on every inbound; inbound ${index} (port ${inbounds[index].port}) ${found}`,
      );
    }
  }
}
