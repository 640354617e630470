import { certificateFacts } from './certificate-facts.schema';
import { dataplaneCertificateIssued } from './dataplane.contracts';

const facts = {
  serial: '0a1b2c',
  notBefore: '2026-06-01T00:00:00.000Z',
  notAfter: '2026-07-01T00:00:00.000Z',
  backend: 'ca-1',
  supportedBackends: ['ca-1', 'ca-2'],
};

describe('certificateFacts on the wire', () => {
  it('takes the facts of a real certificate', () => {
    expect(certificateFacts.parse(facts)).toEqual(facts);
  });

  it.each([
    ['serial', { serial: 'a'.repeat(10_000) }],
    ['notAfter', { notAfter: '9'.repeat(10_000) }],
    ['backend', { backend: 'b'.repeat(10_000) }],
    ['supportedBackends', { supportedBackends: ['ca-1', 'c'.repeat(10_000)] }],
  ])('refuses an oversized %s from a peer, in every message that carries the facts', (field, over) => {
    const refused = certificateFacts.safeParse({ ...facts, ...over });
    expect(refused.error?.issues[0]?.path[0]).toBe(field);
    const event = dataplaneCertificateIssued.payload.safeParse({
      mesh: 'default',
      dataplane: 'web-1',
      reason: 'new',
      ...facts,
      ...over,
      time: facts.notBefore,
      controlPlaneInstance: 'mesh-api-1',
      withdrawn: false,
    });
    expect(event.error?.issues[0]?.path[0]).toBe(field);
  });
});
