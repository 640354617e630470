import { SERVICE_TAG } from '../validation/tags.validator';
import type { DataplaneSpec } from './dataplane.types';

/** Where other dataplanes reach one service of a dataplane: its address and the inbound's port. */
export interface ServiceEndpoint {
  readonly service: string;
  readonly address: string;
  readonly port: number;
}

/** The endpoints a dataplane offers, one per inbound with a `kuma.io/service` tag. */
export function endpointsOf(spec: DataplaneSpec): ServiceEndpoint[] {
  const endpoints: ServiceEndpoint[] = [];
  for (const inbound of spec.networking.inbound) {
    const service = inbound.tags[SERVICE_TAG];
    if (service) endpoints.push({ service, address: spec.networking.address, port: inbound.port });
  }
  return endpoints;
}

/** The services a dataplane calls: the `kuma.io/service` of each of its outbounds. */
export function outboundServicesOf(spec: DataplaneSpec): string[] {
  const services = new Set<string>();
  for (const outbound of spec.networking.outbound ?? []) {
    const service = outbound.tags[SERVICE_TAG];
    if (service) services.add(service);
  }
  return [...services];
}
