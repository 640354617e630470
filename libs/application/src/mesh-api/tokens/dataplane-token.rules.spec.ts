import type { DataplaneSpec } from '@meshtls/domain';
import { DataplaneTokenError, type DataplaneTokenClaims } from '../dataplanes/dataplane-token.port';
import { tokenAllows } from './dataplane-token.rules';

const claims = (tags: Record<string, string> = {}): DataplaneTokenClaims => ({
  mesh: 'default',
  name: 'dp-1',
  tags,
  expiresAt: new Date('2030-01-01T00:00:00Z'),
  keyId: '1',
});
const dataplane = (...inboundTags: Record<string, string>[]): DataplaneSpec => ({
  networking: {
    address: '10.0.0.1',
    inbound: inboundTags.map((tags, i) => ({ port: 8080 + i, tags })),
  },
});
const web = { 'kuma.io/service': 'web' };

function refusal(run: () => void): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DataplaneTokenError);
    expect((error as DataplaneTokenError).refusal).toBe('wrong-dataplane');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('tokenAllows', () => {
  it('allows its own dataplane, with or without tags', () => {
    expect(() => tokenAllows(claims(), 'default', 'dp-1', dataplane(web))).not.toThrow();
    expect(() => tokenAllows(claims(), 'default', 'dp-1', dataplane())).not.toThrow();
    expect(() =>
      tokenAllows(claims(web), 'default', 'dp-1', dataplane({ ...web, version: '1' }, { ...web, zone: 'a' })),
    ).not.toThrow();
  });

  it('refuses another name or another mesh', () => {
    expect(refusal(() => tokenAllows(claims(), 'default', 'dp-2', dataplane(web)))).toBe(
      'the token is for dataplane "dp-1" of mesh "default", not "dp-2" of mesh "default"',
    );
    refusal(() => tokenAllows(claims(), 'other', 'dp-1', dataplane(web)));
  });

  it('refuses when one inbound carries another value or lacks the tag', () => {
    expect(
      refusal(() =>
        tokenAllows(claims(web), 'default', 'dp-1', dataplane(web, { 'kuma.io/service': 'admin' })),
      ),
    ).toBe(
      'the token requires tag kuma.io/service=web on every inbound; inbound 1 (port 8081) has kuma.io/service=admin',
    );
    expect(
      refusal(() => tokenAllows(claims({ ...web, version: '2' }), 'default', 'dp-1', dataplane(web))),
    ).toBe('the token requires tag version=2 on every inbound; inbound 0 (port 8080) has no tag version');
  });

  it('refuses a token with tags for a dataplane without inbounds', () => {
    expect(refusal(() => tokenAllows(claims(web), 'default', 'dp-1', dataplane()))).toMatch(/no inbound/);
  });

  it('is not fooled by a tag named like an Object.prototype member', () => {
    refusal(() => tokenAllows(claims({ constructor: 'x' }), 'default', 'dp-1', dataplane(web)));
  });
});
