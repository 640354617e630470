import { X509Certificate } from 'node:crypto';
import { OpensslWorkspace } from '@meshtls/testing';
import { ResumedPeerCheck, resumedPeerProblem, trustAnchors } from './mesh-tls';
import { intermediateIdentities, leafOf, meshIdentities } from './mesh-identities.test-support';

/** How a client certificate shown again on a resumed session is checked, with no socket involved. */
const ssl = new OpensslWorkspace();
const ca1 = ssl.makeCa('ca-1', { keyType: 'ec' });
const ca2 = ssl.makeCa('ca-2', { keyType: 'ec' });
const fromCa1 = meshIdentities(ca1);
const { root, intermediate, identity: viaIntermediate } = intermediateIdentities(ssl);
afterAll(() => ssl.close());

describe('resumedPeerProblem (a resumed client certificate checked as a full handshake would now)', () => {
  const now = Date.now();

  it('accepts a valid certificate issued by a CA of the current bundle', () => {
    expect(resumedPeerProblem(leafOf(fromCa1('web')), trustAnchors(ca2.certPem + ca1.certPem), now)).toBe(
      undefined,
    );
  });

  it('refuses a certificate that has expired since the session was made', () => {
    const leaf = leafOf(fromCa1('web'));
    const later = Date.parse(leaf.validTo) + 1_000;
    expect(resumedPeerProblem(leaf, trustAnchors(ca1.certPem), later)).toBe(
      `the peer certificate expired at ${new Date(leaf.validTo).toISOString()}`,
    );
  });

  it('refuses a certificate not yet valid', () => {
    const leaf = leafOf(fromCa1('web'));
    expect(resumedPeerProblem(leaf, trustAnchors(ca1.certPem), Date.parse(leaf.validFrom) - 60_000)).toMatch(
      /^the peer certificate is not valid before /,
    );
  });

  it('refuses a certificate whose CA has left the bundle (a finished CA switch)', () => {
    expect(resumedPeerProblem(leafOf(fromCa1('web')), trustAnchors(ca2.certPem), now)).toBe(
      'the peer certificate was issued by a CA no longer in the trust bundle (O=meshtls tests, CN=ca-1)',
    );
  });

  it('refuses a resumed session that shows no certificate at all', () => {
    expect(resumedPeerProblem(undefined, trustAnchors(ca1.certPem), now)).toBe(
      'the resumed session shows no peer certificate',
    );
  });
});

describe('ResumedPeerCheck (the same rules, a certificate that passed remembered for its validity)', () => {
  it('answers as resumedPeerProblem, also for a certificate that passed before and has expired since', () => {
    const check = new ResumedPeerCheck(ca1.certPem);
    const leaf = leafOf(fromCa1('web'));
    expect(check.problem(leaf)).toBe(undefined);
    expect(check.problem(leaf)).toBe(undefined);
    const later = Date.parse(leaf.validTo) + 1_000;
    expect(check.problem(leaf, later)).toBe(resumedPeerProblem(leaf, trustAnchors(ca1.certPem), later));
    expect(check.problem(leaf, later)).toMatch(/^the peer certificate expired at /);
  });

  it('knows a leaf of an intermediate CA (shown without its chain on resumption) once a full handshake showed the chain', () => {
    const material = viaIntermediate('web');
    const leafOnly = leafOf(material);
    const check = new ResumedPeerCheck(root.certPem);
    expect(check.problem(leafOnly)).toMatch(
      /no longer in the trust bundle \(O=meshtls tests, CN=intermediate\)/,
    );
    // What a full handshake shows: the leaf with the intermediate it was sent with.
    const withChain = new X509Certificate(material.certChainPem);
    Object.defineProperty(withChain, 'issuerCertificate', {
      value: new X509Certificate(intermediate.certPem),
    });
    check.verified(withChain);
    expect(check.problem(leafOnly)).toBe(undefined);
    // The intermediate's expiry counts too.
    const intermediateEnd = Date.parse(new X509Certificate(intermediate.certPem).validTo);
    expect(check.problem(leafOnly, intermediateEnd + 1_000)).toMatch(/expired at/);
    // A chain verified under another bundle is not recorded.
    const other = new ResumedPeerCheck(ca1.certPem);
    other.verified(withChain);
    expect(other.problem(leafOnly)).toMatch(/no longer in the trust bundle/);
  });

  it('checks against its own bundle only, and keeps a bounded number of certificates', () => {
    const leaf = leafOf(fromCa1('web'));
    expect(new ResumedPeerCheck(ca1.certPem).problem(leaf)).toBe(undefined);
    expect(new ResumedPeerCheck(ca2.certPem).problem(leaf)).toMatch(/no longer in the trust bundle/);
    const small = new ResumedPeerCheck(ca1.certPem, 2);
    const leaves = [1, 2, 3].map(() => leafOf(fromCa1('web')));
    for (const l of leaves) expect(small.problem(l)).toBe(undefined);
    expect((small as unknown as { passed: Map<string, unknown> }).passed.size).toBe(2);
  });
});
