import { builtinCaSecretNames } from '../identity/builtin-ca-secrets.rules';
import type { DataSource, MeshSpec } from './mesh.types';

/** A Secret of the mesh that one of its mTLS backends depends on. */
export interface SecretReference {
  readonly secret: string;
  readonly backend: string;
}

/**
 * Every Secret the mesh's mTLS backends use: a builtin backend's CA pair, a provided backend's `secret`
 * data sources. Such a Secret must not be deleted while the reference stands.
 */
export function secretReferencesOf(mesh: string, spec: MeshSpec): SecretReference[] {
  const references: SecretReference[] = [];
  for (const backend of spec.mtls?.backends ?? []) {
    if (backend.type === 'builtin') {
      const names = builtinCaSecretNames(mesh, backend.name);
      references.push(
        { secret: names.cert, backend: backend.name },
        { secret: names.key, backend: backend.name },
      );
    } else {
      for (const source of [backend.conf.cert, backend.conf.key]) {
        const secret = secretNameOf(source);
        if (secret !== undefined) references.push({ secret, backend: backend.name });
      }
    }
  }
  return references;
}

/** Kuma's refusal, word for word, when a Secret still in use would be deleted. */
export function secretInUseMessage(secret: string, mesh: string, backend: string): string {
  return (
    `The secret "${secret}" that you are trying to remove is currently in use in Mesh "${mesh}" in mTLS backend ` +
    `"${backend}". Please remove the reference from the "${backend}" backend before removing the secret.`
  );
}

function secretNameOf(source: DataSource): string | undefined {
  return 'secret' in source ? source.secret : undefined;
}
