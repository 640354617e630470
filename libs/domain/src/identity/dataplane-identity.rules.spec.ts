import type { DataplaneSpec } from '../dataplane/dataplane.types';
import type { Tags } from '../validation/tags.validator';
import { dataplaneIdentity, identityUris, meshTrustDomainUri } from './dataplane-identity.rules';
import { MissingServiceTagError } from './identity.errors';

const dataplane = (...inboundTags: Tags[]): DataplaneSpec => ({
  networking: { address: '10.0.0.1', inbound: inboundTags.map((tags, i) => ({ port: 8080 + i, tags })) },
});

describe('dataplaneIdentity', () => {
  it('names each distinct service as a SPIFFE ID and every tag value, the service too, as a kuma URI', () => {
    const identity = dataplaneIdentity(
      'default',
      dataplane(
        { 'kuma.io/service': 'web', version: 'v2', 'kuma.io/protocol': 'http' },
        { 'kuma.io/service': 'admin', version: 'v2', 'kuma.io/zone': 'east' },
        { 'kuma.io/service': 'web', version: 'v1' },
      ),
    );
    expect(identity).toEqual({
      spiffeIds: ['spiffe://default/admin', 'spiffe://default/web'],
      tagUris: [
        'kuma://kuma.io/protocol/http',
        'kuma://kuma.io/service/admin',
        'kuma://kuma.io/service/web',
        'kuma://kuma.io/zone/east',
        'kuma://version/v1',
        'kuma://version/v2',
      ],
    });
    expect(identityUris(identity)).toEqual([...identity.spiffeIds, ...identity.tagUris]);
  });

  // Kuma's pkg/plugins/ca/builtin/manager_test.go: the URIs of a certificate for web and web-api, v1.
  it('gives the URIs, in the order, of the certificate Kuma issues for the same tags', () => {
    const identity = dataplaneIdentity(
      'default',
      dataplane({ 'kuma.io/service': 'web-api', version: 'v1' }, { 'kuma.io/service': 'web', version: 'v1' }),
    );
    expect(identityUris(identity)).toEqual([
      'spiffe://default/web',
      'spiffe://default/web-api',
      'kuma://kuma.io/service/web',
      'kuma://kuma.io/service/web-api',
      'kuma://version/v1',
    ]);
  });

  it('orders kuma URIs by tag name, then value, as Kuma does (not by the whole URI)', () => {
    const identity = dataplaneIdentity('m', dataplane({ 'kuma.io/service': 'web', a: 'z', 'a.b': 'y' }));
    expect(identity.tagUris).toEqual(['kuma://a/z', 'kuma://a.b/y', 'kuma://kuma.io/service/web']);
  });

  it('uses the mesh it is given as the trust domain', () => {
    expect(dataplaneIdentity('payments', dataplane({ 'kuma.io/service': 'api' })).spiffeIds).toEqual([
      'spiffe://payments/api',
    ]);
    expect(meshTrustDomainUri('payments')).toBe('spiffe://payments');
  });

  it('refuses a dataplane without a kuma.io/service tag with a coded error naming the mesh', () => {
    const call = () => dataplaneIdentity('default', dataplane({ version: 'v1' }));
    expect(call).toThrow(MissingServiceTagError);
    try {
      call();
    } catch (error) {
      const e = error as MissingServiceTagError;
      expect(e.code).toBe('identity.no-service');
      expect(e.message).toContain(`'kuma.io/service'`);
      expect(e.message).toContain('"default"');
      expect(e.violations).toEqual([{ field: 'networking.inbound', message: e.message }]);
    }
  });

  it('refuses a dataplane without inbounds', () => {
    expect(() => dataplaneIdentity('default', dataplane())).toThrow(MissingServiceTagError);
  });

  it('skips empty tag values rather than minting a malformed URI', () => {
    const identity = dataplaneIdentity('m', dataplane({ 'kuma.io/service': 'web', team: '' }));
    expect(identity.tagUris).toEqual(['kuma://kuma.io/service/web']);
  });
});
