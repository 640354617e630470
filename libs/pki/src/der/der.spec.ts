import forge from 'node-forge';
import { derBytes, derChildren, DerFormatError, derOidText, readDer } from './der.reader';
import { derOid, derSequence, derTime, derTlv, derUnsignedInteger, DerTag } from './der.writer';
import { keyUsageExtension } from '../x509/extensions';

describe('DER writer and reader', () => {
  it('writes short and long lengths and reads them back', () => {
    for (const size of [0, 1, 127, 128, 255, 256, 70_000]) {
      const el = derTlv(DerTag.OctetString, Buffer.alloc(size, 7));
      const read = readDer(el);
      expect(read.end - read.contentStart).toBe(size);
      expect(read.end).toBe(el.length);
    }
  });

  it('writes minimal positive INTEGERs', () => {
    expect(derUnsignedInteger(Buffer.from([0x00, 0x00, 0x7f]))).toEqual(Buffer.from([0x02, 0x01, 0x7f]));
    expect(derUnsignedInteger(Buffer.from([0x80, 0x01]))).toEqual(
      Buffer.from([0x02, 0x03, 0x00, 0x80, 0x01]),
    );
    expect(derUnsignedInteger(Buffer.from([0x00]))).toEqual(Buffer.from([0x02, 0x01, 0x00]));
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050', () => {
    expect(derTime(new Date('2049-12-31T23:59:59.900Z')).toString('latin1').slice(2)).toBe('491231235959Z');
    expect(derTime(new Date('2050-01-01T00:00:00Z')).toString('latin1').slice(2)).toBe('20500101000000Z');
    expect(derTime(new Date('2050-01-01T00:00:00Z'))[0]).toBe(DerTag.GeneralizedTime);
  });

  it('encodes OIDs and key usage bits as RFC 5280 expects', () => {
    expect(derOid('2.5.29.19').toString('hex')).toBe('0603551d13');
    // keyCertSign + cRLSign: 1 unused bit, 0x06
    expect(keyUsageExtension(['keyCertSign', 'cRLSign']).subarray(-4).toString('hex')).toBe('03020106');
    // digitalSignature alone: 7 unused bits, 0x80
    expect(keyUsageExtension(['digitalSignature']).subarray(-4).toString('hex')).toBe('03020780');
  });

  it('writes and reads OIDs as an independent ASN.1 implementation (node-forge) does', () => {
    const oids = [
      '2.5.29.17',
      '1.2.840.113549.1.1.11',
      '1.2.840.10045.3.1.7',
      '1.3.6.1.5.5.7.3.2',
      '1.3.132.0.34',
      '0.9.2342.19200300.100.1.25',
      '2.16.840.1.101.3.4.2.1',
      '1.3.6.1.4.1.311.60.2.1.3',
      '1.2.4294967295.128.16383.16384',
    ];
    for (const oid of oids) {
      const der = derOid(oid);
      expect(der.subarray(2).toString('binary')).toBe(forge.asn1.oidToDer(oid).getBytes());
      expect(derOidText(der, readDer(der))).toBe(oid);
    }
    // A first subidentifier of 80 or more is arc 2 with a second arc of 40 or more.
    const joint = derTlv(DerTag.Oid, Buffer.from([0x81, 0x34, 0x03]));
    expect(derOidText(joint, readDer(joint))).toBe('2.100.3');
  });

  it('refuses empty and truncated OIDs, and writes no malformed one', () => {
    for (const bytes of [[], [0x2a, 0x86], [0x88]]) {
      const el = derTlv(DerTag.Oid, Buffer.from(bytes));
      expect(() => derOidText(el, readDer(el))).toThrow(DerFormatError);
    }
    for (const text of ['', '1', '3.1', '1.40', '1.2.x', '1..2', '1.02']) {
      expect(() => derOid(text)).toThrow(RangeError);
    }
  });

  it('reads children and exact bytes', () => {
    const a = derTlv(DerTag.Integer, Buffer.from([1]));
    const b = derSequence(derTlv(DerTag.Boolean, Buffer.from([0xff])));
    const outer = derSequence(a, b);
    const children = derChildren(outer, readDer(outer));
    expect(children.map((c) => derBytes(outer, c))).toEqual([a, b]);
  });

  it('refuses truncated input and indefinite lengths', () => {
    expect(() => readDer(Buffer.from([0x30, 0x05, 0x01]))).toThrow(DerFormatError);
    expect(() => readDer(Buffer.from([0x30, 0x80, 0x00, 0x00]))).toThrow(DerFormatError);
    expect(() => readDer(Buffer.from([0x30]))).toThrow(DerFormatError);
  });
});
