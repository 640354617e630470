import type { DataplaneSpec } from '../dataplane/dataplane.types';
import { SERVICE_TAG } from '../validation/tags.validator';
import { MissingServiceTagError } from './identity.errors';

/** The names a dataplane certificate carries as SAN URIs, in Kuma's order and without duplicates. */
export interface DataplaneIdentity {
  /** `spiffe://{mesh}/{service}`, one per distinct `kuma.io/service` of the inbounds, sorted by service. */
  readonly spiffeIds: readonly string[];
  /**
   * `kuma://{tag}/{value}` for every tag value of the inbounds, `kuma.io/service` included (Kuma puts
   * `kuma://kuma.io/service/{service}` beside the SPIFFE ID): ordered by tag name, then by value.
   */
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

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The identity of a dataplane, derived from the Dataplane resource only (never from what a request asks
 * for). Throws MissingServiceTagError when no inbound names a service: such a dataplane has no identity.
 */
export function dataplaneIdentity(mesh: string, dataplane: DataplaneSpec): DataplaneIdentity {
  const tags = new Map<string, Set<string>>();
  for (const inbound of dataplane.networking.inbound) {
    for (const [tag, value] of Object.entries(inbound.tags)) {
      if (value === '') {
        continue; // validation refuses empty values; an empty name would make a malformed URI
      }
      const values = tags.get(tag) ?? new Set<string>();
      values.add(value);
      tags.set(tag, values);
    }
  }
  const services = [...(tags.get(SERVICE_TAG) ?? [])].sort(byCodeUnit);
  if (services.length === 0) {
    throw new MissingServiceTagError(mesh);
  }
  const tagUris = [...tags.keys()]
    .sort(byCodeUnit)
    .flatMap((tag) => [...(tags.get(tag) ?? [])].sort(byCodeUnit).map((value) => tagUri(tag, value)));
  return { spiffeIds: services.map((service) => serviceSpiffeId(mesh, service)), tagUris };
}

/** Every SAN URI of an identity in certificate order: SPIFFE IDs first, then tag URIs. */
export function identityUris(identity: DataplaneIdentity): string[] {
  return [...identity.spiffeIds, ...identity.tagUris];
}
