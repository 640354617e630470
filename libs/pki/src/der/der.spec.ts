import { derBytes, derChildren, DerFormatError, readDer } from './der.reader';
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
