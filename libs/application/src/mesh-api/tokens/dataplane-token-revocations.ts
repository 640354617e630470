import { ResourceType, secretBytes, type SecretSpec } from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';

/** The Secret of a mesh listing its revoked dataplane tokens, named as Kuma names it. */
export function revocationsSecretName(mesh: string): string {
  return `dataplane-token-revocations-${mesh}`;
}

/**
 * Kuma's token revocation list: the Secret `dataplane-token-revocations-{mesh}` holds the ids (`jti`) of
 * revoked tokens, comma separated (`id1,id2`), so one leaked token can be refused without rotating the
 * signing key. Read on every check, like the signing keys, so a revocation holds at once on every
 * replica.
 */
export class DataplaneTokenRevocations {
  constructor(private readonly store: ResourceStore) {}

  async isRevoked(mesh: string, id: string): Promise<boolean> {
    if (id === '') return false;
    const record = await this.store.get({
      type: ResourceType.Secret,
      mesh,
      name: revocationsSecretName(mesh),
    });
    if (!record) return false;
    const ids = secretBytes(record.spec as SecretSpec)
      .toString('utf8')
      .split(',');
    return ids.some((revoked) => revoked.trim() === id);
  }
}
