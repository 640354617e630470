import type { DataplaneSpec } from '@meshtls/domain';
import { DataplaneTokenError, type DataplaneTokenClaims } from '../dataplanes/dataplane-token.port';

/** The label a workload-bound token is checked against, as Kuma's. */
export const WORKLOAD_LABEL = 'kuma.io/workload';

/**
 * Whether verified token claims allow dataplane `name` of `mesh` described by `spec`, as Kuma's
 * universal authenticator decides, in its words:
 * - same mesh; same name unless the token has none (then any dataplane of the mesh);
 * - for each tag of the token, the dataplane carries it, and each value it carries is one the token
 *   allows (a token for `kuma.io/service: [web, api]` admits a `web` dataplane, an `api` one, or one
 *   with both). Stricter than Kuma, every inbound must carry the tag: an inbound without it would get
 *   an identity the token never granted. A token with tags therefore admits no dataplane without inbounds;
 * - a workload-bound token needs the same `kuma.io/workload` label on the Dataplane.
 * Throws `DataplaneTokenError('wrong-dataplane')`; fits `DataplaneAuthorizer`.
 */
export function tokenAllows(
  claims: DataplaneTokenClaims,
  mesh: string,
  name: string,
  spec: DataplaneSpec,
): void {
  if (claims.name !== '' && claims.name !== name) {
    throw new DataplaneTokenError(
      'wrong-dataplane',
      `proxy name from requestor: ${name} is different than in token: ${claims.name}`,
    );
  }
  if (claims.mesh !== mesh) {
    throw new DataplaneTokenError(
      'wrong-dataplane',
      `proxy mesh from requestor: ${mesh} is different than in token: ${claims.mesh}`,
    );
  }
  const inbounds = spec.networking?.inbound ?? [];
  for (const tag of Object.keys(claims.tags).sort()) {
    const allowed = claims.tags[tag];
    if (inbounds.length === 0) {
      throw new DataplaneTokenError(
        'wrong-dataplane',
        `dataplane has no tag "${tag}" required by the token: it has no inbound`,
      );
    }
    inbounds.forEach((inbound, index) => {
      if (!Object.hasOwn(inbound.tags ?? {}, tag)) {
        throw new DataplaneTokenError(
          'wrong-dataplane',
          `dataplane has no tag "${tag}" required by the token on inbound ${index} (port ${inbound.port})`,
        );
      }
      const value = inbound.tags[tag];
      if (!allowed.includes(value)) {
        throw new DataplaneTokenError(
          'wrong-dataplane',
          `dataplane contains tag ${goQuote(tag)} with value ${goQuote(value)} which is not allowed with this token. Allowed values in token are [${allowed.map(goQuote).join(' ')}] (inbound ${index}, port ${inbound.port})`,
        );
      }
    });
  }
  checkWorkload(claims.workload, labelsOf(spec));
}

function checkWorkload(workload: string, labels: Readonly<Record<string, unknown>>): void {
  if (workload === '') return;
  const label = Object.hasOwn(labels, WORKLOAD_LABEL) ? labels[WORKLOAD_LABEL] : undefined;
  if (typeof label !== 'string') {
    throw new DataplaneTokenError(
      'wrong-dataplane',
      `dataplane has no workload label required by the token (the token is bound to ${WORKLOAD_LABEL}=${workload})`,
    );
  }
  if (label !== workload) {
    throw new DataplaneTokenError(
      'wrong-dataplane',
      `dataplane workload ${goQuote(label)} is not allowed with this token. Allowed workload in token is ${goQuote(workload)}`,
    );
  }
}

/** The Dataplane's user labels (kept in its spec), if it has any. */
function labelsOf(spec: DataplaneSpec): Readonly<Record<string, unknown>> {
  const labels = (spec as { readonly labels?: unknown }).labels;
  return labels && typeof labels === 'object' && !Array.isArray(labels)
    ? (labels as Record<string, unknown>)
    : {};
}

/** A string quoted as Go's `%q` quotes it in Kuma's messages (JSON's quoting, for these values). */
function goQuote(value: string): string {
  return JSON.stringify(value);
}
