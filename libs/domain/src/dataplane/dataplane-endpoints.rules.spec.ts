import { endpointsOf, outboundServicesOf } from './dataplane-endpoints.rules';
import type { DataplaneSpec } from './dataplane.types';

const spec: DataplaneSpec = {
  networking: {
    address: '10.0.0.7',
    inbound: [
      { port: 8080, servicePort: 18080, tags: { 'kuma.io/service': 'web' } },
      { port: 9090, tags: { 'kuma.io/service': 'web-admin', version: 'v1' } },
    ],
    outbound: [
      { port: 10001, tags: { 'kuma.io/service': 'backend' } },
      { port: 10002, tags: { 'kuma.io/service': 'backend' } },
      { port: 10003, tags: { 'kuma.io/service': 'db' } },
    ],
  },
};

describe('dataplane endpoints', () => {
  it('offers one endpoint per inbound at the dataplane address and the inbound port (not the servicePort)', () => {
    expect(endpointsOf(spec)).toEqual([
      { service: 'web', address: '10.0.0.7', port: 8080 },
      { service: 'web-admin', address: '10.0.0.7', port: 9090 },
    ]);
  });

  it('lists each called service once', () => {
    expect(outboundServicesOf(spec)).toEqual(['backend', 'db']);
    expect(outboundServicesOf({ networking: { address: 'a', inbound: [] } })).toEqual([]);
  });
});
