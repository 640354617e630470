import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { SERVICE_TAG } from '../validation/tags.validator';
import { MissingServiceTagError } from './identity.errors';

/** The names a dataplane certificate carries as SAN URIs, each list sorted and without duplicates. */
export interface DataplaneIdentity {
  /** `spiffe://{mesh}/{service}`, one per distinct `kuma.io/service` of the inbounds. */
  readonly spiffeIds: readonly string[];
  /** `kuma://{tag}/{value}` for every other tag value of the inbounds. */
  readonly tagUris: readonly string[];
}

/** The SPIFFE trust domain of a mesh, `spiffe://{mesh}`: the SAN URI of its CAs. */
export function meshTrustDomainUri(mesh: string): string {
  return `spiffe://${mesh}`;
}

/** The SPIFFE ID of a service of a mesh, `spiffe://{mesh}/{service}`. */
export function serviceSpiffeId(mesh: string, service: string): string {
  return `${meshTrustDomainUri(mesh)}/${service}`;
}

/** The URI naming one tag value, `kuma://{tag}/{value}` (Kuma's form). */
export function tagUri(tag: string, value: string): string {
  return `kuma://${tag}/${value}`;
}

/**
 * The identity of a dataplane, derived from the Dataplane resource only (never from what a request asks
 * for). Throws MissingServiceTagError when no inbound names a service: such a dataplane has no identity.
 */
export function dataplaneIdentity(mesh: string, dataplane: DataplaneSpec): DataplaneIdentity {
  const services = new Set<string>();
  const tagUris = new Set<string>();
  for (const inbound of dataplane.networking.inbound) {
    for (const [tag, value] of Object.entries(inbound.tags)) {
      if (value === '') {
        continue; // validation refuses empty values; an empty name would make a malformed URI
      }
      if (tag === SERVICE_TAG) {
        services.add(serviceSpiffeId(mesh, value));
      } else {
        tagUris.add(tagUri(tag, value));
      }
    }
  }
  if (services.size === 0) {
    throw new MissingServiceTagError(mesh);
  }
  return { spiffeIds: [...services].sort(), tagUris: [...tagUris].sort() };
}

/** Every SAN URI of an identity in certificate order: SPIFFE IDs first, then tag URIs. */
export function identityUris(identity: DataplaneIdentity): string[] {
  return [...identity.spiffeIds, ...identity.tagUris];
}
