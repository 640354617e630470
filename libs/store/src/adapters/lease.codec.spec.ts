import type { Lease } from '../ports/lease.store';
import { decodeLease } from './lease.codec';

const lease: Lease = {
  mesh: 'default',
  dataplane: 'web-1',
  serial: 'ab01',
  notBefore: '2026-06-01T00:00:00.000Z',
  notAfter: '2026-06-02T00:00:00.000Z',
  rotateAt: '2026-06-01T19:12:00.000Z',
  backend: 'ca-1',
  supportedBackends: ['ca-1'],
  controlPlaneInstance: 'mesh-api-1@boot',
  session: 's-1',
};

describe('decodeLease', () => {
  it('gives back a lease as put', () => {
    expect(decodeLease(JSON.stringify(lease), 'default', 'web-1')).toEqual({ ok: true, lease });
  });

  it.each([
    ['not-json{', 'value is not JSON'],
    ['', 'value is not JSON'],
    ['null', 'value is not a lease (wrong or missing (value))'],
    [JSON.stringify({ ...lease, rotateAt: 'soon' }), 'value is not a lease (wrong or missing rotateAt)'],
    [
      JSON.stringify({ ...lease, serial: 7, notAfter: undefined }),
      'value is not a lease (wrong or missing serial, notAfter)',
    ],
    [
      JSON.stringify({ ...lease, supportedBackends: 'ca-1' }),
      'value is not a lease (wrong or missing supportedBackends)',
    ],
    [JSON.stringify({ ...lease, dataplane: 'web-2' }), 'lease names another dataplane than its key'],
    [JSON.stringify({ ...lease, mesh: 'other' }), 'lease names another dataplane than its key'],
  ])('refuses %s: %s', (raw, reason) => {
    expect(decodeLease(raw, 'default', 'web-1')).toEqual({ ok: false, reason });
  });

  it('never quotes the value in its reason', () => {
    const secretish = 'c2VjcmV0LWxvb2tpbmctdmFsdWU';
    for (const raw of [`{"serial":"${secretish}"`, JSON.stringify({ ...lease, notAfter: secretish })]) {
      const decoded = decodeLease(raw, 'default', 'web-1');
      expect(decoded.ok).toBe(false);
      expect(JSON.stringify(decoded)).not.toContain(secretish);
    }
  });
});
